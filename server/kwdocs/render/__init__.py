"""Page renderers: Markdown text from records and facts; rendering never touches the disk."""
