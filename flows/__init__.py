"""Prefect flows, one package per department (``dept_<id>``), mirroring ``configs/variables/``."""
