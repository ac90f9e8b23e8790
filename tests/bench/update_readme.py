#!/usr/bin/python3
"""Copies the latest benchmark tables (build/bench/results.md) into README.md between the markers
<!-- bench:begin --> and <!-- bench:end --> under "## Benchmarks".
Usage: update_readme.py RESULTS_MD README_MD"""
import sys

BEGIN, END = '<!-- bench:begin -->', '<!-- bench:end -->'


def main():
    results, readme = sys.argv[1], sys.argv[2]
    body = open(results).read().strip()
    # The README already has its own "## Benchmarks" heading; demote nothing, but keep the tables' ### level.
    text = open(readme).read()
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        sys.exit(f'update_readme: markers {BEGIN} / {END} not found in {readme}')
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    note = ('Produced by `make bench` (tests/bench; see tests/bench/README.md) and copied here by '
            '`make bench-readme`.')
    new = f'{head}{BEGIN}\n{note}\n\n{body}\n{END}{tail}'
    if new != text:
        open(readme, 'w').write(new)
        print(f'update_readme: {readme} updated')
    else:
        print(f'update_readme: {readme} already up to date')


if __name__ == '__main__':
    main()
