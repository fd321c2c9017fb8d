"""The examples of LANGUAGE.md ("Examples that must work"), shared by the tests."""

SEED = """\
# the seed: any u constant along x minimizes this
x in [-1, 1]; y in [-1, 1]
field u(x, y)
minimize ∫ ∂ₓ(u)^2
"""

POISSON = """\
# Poisson on the unit square
x in [0, 1]; y in [0, 1]
field u(x, y)
-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)
u = 0 on ∂Ω
exact u = sin(pi*x)*sin(pi*y)
"""

RITZ = """\
# the same solution as an energy (Deep Ritz)
x in [0, 1]; y in [0, 1]
field u(x, y)
let f = 2*pi^2*sin(pi*x)*sin(pi*y)
minimize ∫ (|∇u|^2/2 - f*u)
u = 0 on ∂Ω weight 500
exact u = sin(pi*x)*sin(pi*y)
"""

BURGERS = """\
# viscous Burgers
x in [-1, 1]; t in [0, 1]
field u(x, t)
const nu = 0.01/pi
Dt(u) + u*Dx(u) = nu*Dxx(u)
u = -sin(pi*x) at t = 0
u = 0 at x = -1
u = 0 at x = 1
"""

INVERSE = """\
# inverse problem: recover the diffusivity from observations
x in [0, 1]; t in [0, 1]
field u(x, t)
unknown k = 0.5
Dt(u) = k*Dxx(u)
data "heat_obs.csv"
"""

LANGUAGE_EXAMPLES = [SEED, POISSON, RITZ, BURGERS, INVERSE]
