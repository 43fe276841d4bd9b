"""Widgets and objects that hold the window's logic."""
