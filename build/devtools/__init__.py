"""What only the repository uses: the sample maker, the generated files, the Stata writer."""
