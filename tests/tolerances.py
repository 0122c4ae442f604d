"""Tolerances for comparing solver output with known answers: named once, used everywhere."""

OBJ_RTOL = 1e-6
"""Relative tolerance on objective values."""
VALUE_ATOL = 1e-6
"""Absolute tolerance on primal values."""
DUAL_ATOL = 1e-6
"""Absolute tolerance on duals and reduced costs."""
RELAX_ATOL = 1e-6
"""Absolute tolerance on diagnosed relaxation amounts."""
INTEGRAL_ATOL = 1e-5
"""MILP objectives may carry the solver's integrality tolerance."""
