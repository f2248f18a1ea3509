"""The operator commands added for issue 10, one module each; ``newsdesk_ops.cli`` registers them."""
