"""Small dense matrices for a spreadsheet engine."""

Matrix = list[list[float]]


def shape(matrix: Matrix) -> tuple[int, int]:
    return len(matrix), len(matrix[0]) if matrix else 0


def transpose(matrix: Matrix) -> Matrix:
    rows, columns = shape(matrix)
    return [[matrix[column][row] for row in range(rows)] for column in range(columns)]


def multiply(left: Matrix, right: Matrix) -> Matrix:
    rows, inner = shape(left)
    _, columns = shape(right)
    return [
        [sum(left[i][k] * right[k][j] for k in range(inner)) for j in range(columns)]
        for i in range(rows)
    ]
