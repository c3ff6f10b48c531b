"""modelstudio-setup: onboard developers onto Alibaba Cloud Model Studio and diagnose them."""

__version__ = "0.1.0"
