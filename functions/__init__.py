"""Edge functions a repository declares, and the sandbox all untrusted code runs in."""

from functions.config import ConfigProblem, FunctionSpec, RepoFunctions, parse_functions
from functions.context import FunctionContext, edge_function
from functions.invocation import FunctionActions, FunctionResponse, InvocationRecord
from functions.metrics import FunctionStats, register_metrics
from functions.runtime import ServerlessRuntime
from functions.sandbox import Sandbox, SandboxLimits, SandboxResult

__all__ = [
    "ConfigProblem",
    "FunctionActions",
    "FunctionContext",
    "FunctionResponse",
    "FunctionSpec",
    "FunctionStats",
    "InvocationRecord",
    "RepoFunctions",
    "Sandbox",
    "SandboxLimits",
    "SandboxResult",
    "ServerlessRuntime",
    "edge_function",
    "parse_functions",
    "register_metrics",
]
