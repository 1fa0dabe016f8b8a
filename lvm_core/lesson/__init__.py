"""The lesson: the tutorial's argument as steps (story.py), shown by the app's Tour page and by the
static lesson folder that `python -m lvm_core export-lesson` writes."""
