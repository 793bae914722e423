"""What a Jekyll or Hugo site needs to be read as its old generator read it.

Pure functions and data, no Flask: file names that are posts, the dates the
old generators accepted, Hugo shortcodes and Jekyll Liquid turned into plain
Markdown, the URLs posts used to have, and where a site keeps its posts and
static files.
"""
