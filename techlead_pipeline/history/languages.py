"""File extension -> language name, for prompts and metadata."""

from pathlib import PurePosixPath

_BY_SUFFIX = {
    ".py": "Python",
    ".pyi": "Python",
    ".ipynb": "Jupyter Notebook",
    ".js": "JavaScript",
    ".jsx": "JavaScript",
    ".mjs": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".scala": "Scala",
    ".rb": "Ruby",
    ".php": "PHP",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".hpp": "C++",
    ".cs": "C#",
    ".swift": "Swift",
    ".m": "Objective-C",
    ".sql": "SQL",
    ".sh": "Shell",
    ".bash": "Shell",
    ".yml": "YAML",
    ".yaml": "YAML",
    ".json": "JSON",
    ".toml": "TOML",
    ".md": "Markdown",
    ".rst": "reStructuredText",
    ".html": "HTML",
    ".css": "CSS",
    ".scss": "SCSS",
    ".csv": "CSV",
    ".cfg": "INI",
    ".ini": "INI",
    ".tf": "HCL",
    ".proto": "Protocol Buffers",
    ".dockerfile": "Dockerfile",
    ".png": "binary",
    ".jpg": "binary",
    ".gif": "binary",
    ".pdf": "binary",
}
_BY_NAME = {"Dockerfile": "Dockerfile", "Makefile": "Makefile", "CMakeLists.txt": "CMake"}


def language_for(path: str) -> str:
    p = PurePosixPath(path)
    return _BY_NAME.get(p.name) or _BY_SUFFIX.get(p.suffix.lower(), "Text")
