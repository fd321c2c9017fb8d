"""Reference solutions of the hard benchmarks, written for the purpose in numpy (and scipy).

Each module solves one problem of ``examples/`` with a classical method whose convergence
``tests/test_references.py`` checks (the error falls at the method's order as the grid or
the step is refined), so that ``benchmarks/records.py`` can measure a PINN's error against
it.  None of them imports ``symbolic_pinn``.

| module | problem | method |
|---|---|---|
| ``etdrk4`` | u_t = L u + N(u), L diagonal | exponential time differencing RK4 (Cox & Matthews 2002), |
|  |  | its coefficients by contour integrals (Kassam & Trefethen 2005) |
| ``allen_cahn`` | examples/allen_cahn_periodic.pinn | Fourier pseudo-spectral + ETDRK4 |
| ``kdv`` | examples/kdv.pinn | Fourier pseudo-spectral (2/3 dealiasing) + ETDRK4 |
| ``gray_scott`` | examples/gray_scott.pinn | 2-D Fourier pseudo-spectral (rfft2) + ETDRK4 |
| ``ginzburg_landau`` | examples/ginzburg_landau.pinn | 2-D Fourier pseudo-spectral (fft2, A complex) + ETDRK4 |
| (none) | examples/convection.pinn | its `exact` line, sin(x − βt) |
| ``cavity`` | examples/cavity.pinn | streamfunction–vorticity finite differences, Newton, Richardson |
"""
