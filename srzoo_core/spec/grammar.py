"""The grammar's constants: what a name is and which roles a spec has. A leaf module (no imports),
so the registry can check the names plugins register against the same rule the parser applies."""

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_\-]*"  # component, parameter and role names, as the spec writes them
ROLES: tuple[str, ...] = ("gen", "disc", "loss", "metric", "deg")  # the parts of a spec; ``requires`` names them
CHAINS: tuple[str, ...] = ("deg",)  # roles whose terms apply in order, so a name may come twice (blur+resize+…+resize)
