"""A game's leaderboard: best score per player, the top players, and a player's rank."""


def best_scores(games: list[tuple[str, int]]) -> dict[str, int]:
    """Each player's highest score over all the games they played."""
    best: dict[str, int] = {}
    for player, score in games:
        if score > best.get(player, score - 1):
            best[player] = score
    return best


def top(games: list[tuple[str, int]], count: int = 3) -> list[str]:
    """The players with the highest best scores, highest first."""
    ranked = sorted(best_scores(games).items(), key=lambda entry: entry[1])
    return [player for player, _ in ranked[:count]]


def rank(games: list[tuple[str, int]], player: str) -> int:
    """1 for the best player; players with equal scores share a rank."""
    best = best_scores(games)
    if player not in best:
        raise KeyError(player)
    return 1 + sum(score > best[player] for score in best.values())


def format_row(position: int, player: str, score: int) -> str:
    return f"{position:>2}. {player:<12}{score:>7,}"
