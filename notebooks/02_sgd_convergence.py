# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Stochastic gradient descent on non-smooth problems: how fast does the last iterate converge?
#
# Every network in this course is trained by stochastic gradient descent (SGD), and almost every
# training loss in it has kinks: ReLU activations, max-pooling, $\ell_1$ and total-variation
# penalties, the hinge loss, the maximum inside a GAN objective. At a kink there is no gradient,
# only a set of *subgradients*, and the classical convergence theory of SGD, which assumes a
# Lipschitz-continuous gradient, does not apply. This chapter asks what can still be proved, and
# checks every claim numerically on problems whose optimum is known exactly.
#
# **In this chapter you will**
# - define subgradients and derive the projected subgradient step as the minimiser of a linear
#   model plus a proximity term;
# - see two ways in which non-smoothness bites: a subgradient step can *increase* the objective for
#   every step size, and a constant step size never converges;
# - state the two last-iterate theorems of Shamir and Zhang (2013), $O(\log T/T)$ for strongly
#   convex and $O(\log T/\sqrt T)$ for convex objectives, and walk through the structure of their
#   proofs (suffix averages, a distance lemma of Rakhlin, Shamir and Sridharan, a telescoping sum);
# - measure the rates on toy problems with known $F$, $w^*$, $G$ and $D$, and on a support vector
#   machine trained on two MNIST digits, with the bounds drawn and the slopes fitted;
# - compare the last iterate with uniform, suffix and polynomial-decay averaging, including the hard
#   instance on which uniform averaging provably loses a factor $\log T$.
#
# **Sources and corrections.** The chapter follows §11 of the student notes it grew from, checked
# against the papers {cite}`shamir2013stochastic,rakhlin2012making,zinkevich2003online`. The notes
# have a few slips; each one is pointed out where it occurs in a box titled *Correction*.
#
# The code that computes lives in `course_lib.sgd`; this notebook explains and calls it.

# %% tags=["imports"]
import numpy as np
import matplotlib.pyplot as plt

import course_lib
import course_lib.checks.ch02
from course_lib import checks, data, results, sgd

# %%
profile = course_lib.setup_notebook("02_sgd_convergence")

# Sizes of this run (iterations T and independent seeds S per experiment).
T_TOY = course_lib.by_profile(ci=10_000, default=100_000, full=1_000_000)
S_TOY = course_lib.by_profile(ci=100, default=200, full=200)
T_CONST = course_lib.by_profile(ci=10_000, default=30_000, full=100_000)
T_SVM = course_lib.by_profile(ci=10_000, default=30_000, full=200_000)
S_SVM = course_lib.by_profile(ci=20, default=20, full=40)
T_HARD = course_lib.by_profile(ci=20_000, default=100_000, full=1_000_000)
S_HARD = course_lib.by_profile(ci=1_000, default=2_000, full=2_000)
FIT_LO_TOY = np.sqrt(T_TOY)  # slopes are fitted on the second half of the log-T range, [sqrt(T), T]
print(f"toy problems: T = {T_TOY}, S = {S_TOY}; SVM: T = {T_SVM}, S = {S_SVM}; hard instance: T = {T_HARD}, S = {S_HARD}")

# %% [markdown]
# ## 1. Subgradients and the projected subgradient method
#
# ```{prf:definition} Subgradient
# :label: def-02-subgradient
#
# Let $f:\mathbb{R}^d\to\mathbb{R}$ be convex. A vector $g\in\mathbb{R}^d$ is a **subgradient** of $f$
# at $x$ if
#
# $$
# f(y)\;\ge\; f(x)+\langle g,\,y-x\rangle\qquad\text{for every } y\in\mathbb{R}^d .
# $$
#
# The set of all subgradients at $x$ is the **subdifferential** $\partial f(x)$; it is non-empty,
# convex and compact for a convex $f$ that is finite everywhere.
# ```
#
# A subgradient defines an affine function that touches $f$ at $x$ and lies below it everywhere.
# Where $f$ is differentiable there is exactly one, $\partial f(x)=\{\nabla f(x)\}$. At a kink there
# are many:
#
# - $f(x)=|x|$: $\partial f(x)=\{\operatorname{sign} x\}$ for $x\ne0$ and $\partial f(0)=[-1,1]$;
# - ReLU, $f(x)=\max(0,x)$: $\{0\}$, $\{1\}$, and $[0,1]$ at $x=0$;
# - hinge loss of a linear classifier, $f(w)=\max\bigl(0,1-y\langle w,x\rangle\bigr)$: $\{-yx\}$ when the
#   margin $y\langle w,x\rangle$ is below 1, $\{0\}$ above 1, and the segment $\{-s\,yx:\ s\in[0,1]\}$ on it.
#
# The definition also gives the optimality condition: $x^*$ minimises $f$ over $\mathbb{R}^d$ if and
# only if $0\in\partial f(x^*)$, and over a closed convex set $W$ if and only if some
# $g\in\partial f(x^*)$ satisfies $\langle g, w-x^*\rangle\ge0$ for all $w\in W$.
#
# **The stochastic setting.** We minimise $F(w)=\mathbb{E}_z\,f(w,z)$ over a non-empty closed convex
# set $W\subset\mathbb{R}^d$, with a minimiser $w^*\in W$ and $F^*=F(w^*)$. At step $t$ an oracle
# returns a random vector $\hat g_t$ whose conditional mean, given the past $w_1,\dots,w_t$, is a
# subgradient $g_t\in\partial F(w_t)$. For a training loss, $\hat g_t$ is the subgradient of the
# loss of one randomly drawn example. **Projected stochastic subgradient descent** starts at
# $w_1\in W$ and iterates
#
# $$
# w_{t+1}=\Pi_W\bigl(w_t-\eta_t\,\hat g_t\bigr),\qquad \Pi_W(v)=\operatorname*{arg\,min}_{u\in W}\|u-v\|,
# $$
#
# with step sizes $\eta_t>0$. The projection exists and is unique because $W$ is closed and convex.
# When $\hat g_t=g_t$ (no noise) this is the projected subgradient method.
#
# ```{prf:proposition} The projected step minimises a linear model plus a proximity term
# :label: prop-02-prox
#
# Let $V$ be closed and convex, $x_t\in V$, $g\in\mathbb{R}^d$ and $\eta>0$. Then
#
# $$
# \operatorname*{arg\,min}_{x\in V}\Bigl\{f(x_t)+\langle g,x-x_t\rangle+\tfrac1{2\eta}\|x-x_t\|^2\Bigr\}
# \;=\;\Pi_V\bigl(x_t-\eta g\bigr).
# $$
# ```
#
# ```{prf:proof}
# Complete the square: for every $x$,
#
# $$
# \langle g,x-x_t\rangle+\tfrac1{2\eta}\|x-x_t\|^2=\tfrac1{2\eta}\bigl\|x-(x_t-\eta g)\bigr\|^2-\tfrac\eta2\|g\|^2 .
# $$
#
# The terms $f(x_t)$ and $-\tfrac\eta2\|g\|^2$ do not depend on $x$, and multiplying by $2\eta>0$ does
# not move a minimiser. So the minimiser over $V$ is the point of $V$ closest to $x_t-\eta g$, which
# is $\Pi_V(x_t-\eta g)$.
# ```
#
# The linear model $f(x_t)+\langle g,x-x_t\rangle$ is a lower bound of $f$ (that is the subgradient
# inequality), but it is only informative near $x_t$, and its minimum over an unbounded set is
# $-\infty$. The quadratic term keeps the next point close to $x_t$; the step size $\eta$ says how far
# we trust the model.
#
# ```{admonition} Correction
# :class: warning
# The notes first minimise the linear model over $V\cap\{\|x-x_t\|^2\le h\}$ (a trust region) and
# then call the penalised problem above an "equivalent unconstrained formulation". Two repairs.
# (i) The penalised problem is still constrained to $V$; only the trust region is replaced by a
# penalty. (ii) The two problems are equivalent only in the Lagrangian sense: for each $h$ some
# multiplier gives the same minimiser, but it depends on $h$ **and on $g_t$**. For $V=\mathbb{R}^d$
# the trust-region step is $x_t-\sqrt h\,g_t/\|g_t\|$, i.e. $\eta=\sqrt h/\|g_t\|$, so a fixed radius
# is not a fixed step size. The notes also use "SGD" for the deterministic subgradient method; here
# the "S" means *stochastic*: SGD uses unbiased noisy subgradients, and the noise-free method is the
# special case $\hat g_t=g_t$.
# ```
#
# The only property of the projection that the convergence proofs need is that it never moves a
# point away from any point of the set:
#
# ```{prf:lemma} Projections are non-expansive towards the set
# :label: lem-02-projection
#
# For a closed convex $W$, every $v\in\mathbb{R}^d$ and every $w\in W$: $\|\Pi_W(v)-w\|\le\|v-w\|$.
# ```
#
# ```{prf:proof}
# Write $p=\Pi_W(v)$. For $w\in W$ and $s\in(0,1]$ the point $p+s(w-p)$ lies in $W$, so
# $\|v-p-s(w-p)\|^2\ge\|v-p\|^2$; expanding and letting $s\to0$ gives $\langle v-p,w-p\rangle\le0$. Then
# $\|v-w\|^2=\|v-p\|^2+\|p-w\|^2-2\langle v-p,w-p\rangle\ge\|p-w\|^2$.
# ```
#
# For the two domains of this chapter the projection has a closed form. The **ball**
# $\{w:\|w\|\le R\}$: leave $v$ alone if $\|v\|\le R$, otherwise rescale it to $Rv/\|v\|$. The
# **box** $\{w:\ell\le w\le u\}$ is a product of intervals, so its projection clips every coordinate
# on its own, $\min(\max(v_i,\ell_i),u_i)$.

# %% [markdown]
# ### Exercises: projections
#
# ```{exercise} Projection onto a ball
# :label: ex-02-project-ball
#
# Write `project_ball(v, radius)` returning the Euclidean projection of the vector `v` (a 1-D NumPy
# array) onto the ball $\{w:\|w\|\le \texttt{radius}\}$ centred at 0, as a **new** array (do not modify
# `v`). Points inside the ball do not move; points outside go to the closest point of the sphere.
# ```
#
# ```{solution-start} ex-02-project-ball
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 2.1: project v onto the ball of radius `radius` centred at 0
def project_ball(v, radius):
    """Return the closest point to v in {w : ||w|| <= radius}, as a new array."""
    ### BEGIN SOLUTION
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v)
    if norm <= radius:
        return v.copy()
    return v * (radius / norm)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch02.check_project_ball(project_ball)

# %% [markdown]
# ```{exercise} Projection onto a box
# :label: ex-02-project-box
#
# Write `project_box(v, lower, upper)` returning the Euclidean projection of `v` onto the box
# $\{w:\texttt{lower}\le w\le\texttt{upper}\}$ (coordinatewise inequalities; `lower` and `upper` are
# arrays of the shape of `v` with `lower <= upper`), as a new array.
# ```
#
# ```{solution-start} ex-02-project-box
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 2.2: project v onto the box lower <= w <= upper
def project_box(v, lower, upper):
    """Return the closest point to v in {w : lower <= w <= upper}, as a new array."""
    ### BEGIN SOLUTION
    return np.minimum(np.maximum(np.asarray(v, dtype=float), lower), upper)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch02.check_project_box(project_box)

# %% [markdown]
# The library versions, `sgd.project_ball` and `sgd.project_box`, do the same on whole batches of
# points (one row per seed), which is how the experiments below run many seeds at once.

# %% [markdown]
# ## 2. A subgradient step need not decrease the objective
#
# For a differentiable $f$, $-\nabla f(x)$ is a descent direction: a small enough step always
# decreases $f$. A negative subgradient need not be. Take
#
# $$
# f(x)=|x_1|+2|x_2| ,\qquad x=(1,0),\qquad \partial f(x)=\{(1,s):\ s\in[-2,2]\}.
# $$
#
# The subgradient $g=(1,2)$ gives $f(x-\eta g)=|1-\eta|+4\eta=1+3\eta>f(x)$ for **every**
# $\eta\in(0,1]$. Still, the step brings us closer to the minimiser $x^*=0$:
# $\|x-\eta g\|^2=1-2\eta+5\eta^2<1$ for $\eta<2/5$. This is the general picture, and it is what the
# proofs below build on: for any subgradient $g_t$ and any minimiser $x^*$,
#
# $$
# \|x_{t+1}-x^*\|^2\le\|x_t-x^*\|^2-2\eta_t\bigl(f(x_t)-f^*\bigr)+\eta_t^2\|g_t\|^2
# $$
#
# (expand the square, use {prf:ref}`lem-02-projection` and the subgradient inequality at $x^*$), so the
# *distance* to the minimisers shrinks whenever $\eta_t<2(f(x_t)-f^*)/\|g_t\|^2$, although the *value*
# may go up.

# %%
f_l1 = lambda x: np.abs(x[..., 0]) + 2 * np.abs(x[..., 1])
x0, g0 = np.array([1.0, 0.0]), np.array([1.0, 2.0])
etas = np.linspace(1e-3, 1.0, 200)
after = f_l1(x0 - etas[:, None] * g0)
dist = np.linalg.norm(x0 - etas[:, None] * g0, axis=1)
print(f"f(x) = {f_l1(x0):.3f}; after a step along -g: min over eta of f = {after.min():.4f} "
      f"(eta = {etas[after.argmin()]:.3f})")

# A whole run of the subgradient method from (1.3, 0.7) with eta_t = 0.5 / sqrt(t).
demo = sgd.convex_l1_problem(2, mu=[1.0, 2.0], sigma=0.0, radius=10.0, a=[0.0, 0.0], w1=[1.3, 0.7])
T_DEMO = 2_000
run_demo = sgd.run_sgd(demo, T_DEMO, schedule="sqrt", c=0.5, n_seeds=1, keep_path=True)
path_demo = run_demo.path[:, 0]
f_demo = demo.value(path_demo)
increases = int(np.sum(f_demo[1:] > f_demo[:-1]))
print(f"subgradient method, eta_t = 0.5/sqrt(t): f went up in {increases} of {T_DEMO - 1} steps; "
      f"f(x_T) = {f_demo[-1]:.4f}, best f = {f_demo.min():.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
xs = np.linspace(-0.4, 1.4, 200)
X1, X2 = np.meshgrid(xs, np.linspace(-0.5, 0.8, 200))
axes[0].contour(X1, X2, np.abs(X1) + 2 * np.abs(X2), levels=15, cmap="Greys", linewidths=0.7)
axes[0].plot(path_demo[:40, 0], path_demo[:40, 1], "o-", ms=3, label="first 40 iterates")
axes[0].plot(*x0, "rs", label="x = (1, 0)")
axes[0].arrow(1.0, 0.0, -0.1, -0.2, color="red", head_width=0.03, length_includes_head=True)
axes[0].set_title("$f = |x_1| + 2|x_2|$: zig-zag across the kink $x_2 = 0$")
axes[0].set_aspect("equal")
axes[0].legend(loc="upper left", fontsize=8)
t_axis = np.arange(1, T_DEMO + 1)
axes[1].loglog(t_axis, f_demo, lw=0.6, label="$f(x_t)$")
axes[1].loglog(t_axis, np.minimum.accumulate(f_demo), lw=1.5, label="best so far")
axes[1].set_xlabel("iteration t")
axes[1].set_title(f"f increased in {increases} of {T_DEMO - 1} steps")
axes[1].legend()
axes[1].grid(True, which="both", alpha=0.3)
plt.tight_layout()
plt.show()

# %%
assert np.all(after > f_l1(x0)), "a step along -g from (1, 0) must increase f for every eta in (0, 1]"
assert np.all(dist[etas < 0.4] < 1.0), "for eta < 2/5 the step must still get closer to the minimiser 0"
assert increases > 0, "the subgradient method should increase f at some steps (it is not a descent method)"
assert f_demo.min() < 0.05 * f_demo[0], "the best value should still go down"
results.record("nondescent_increases", increases, unit="steps", label=f"steps that increased f (of {T_DEMO - 1})",
               claim="the subgradient method is not a descent method: f(x_{t+1}) > f(x_t) happens")
print("Not a descent method: the value goes up at many steps, the best value still goes down.")

# %% [markdown]
# ## 3. A constant step size cannot converge
#
# Near a smooth minimum the gradient vanishes, so gradient descent with a constant step takes
# smaller and smaller steps by itself. Near a kink the subgradients do **not** shrink: for
# $f(x)=\sum_i\mu_i|x_i-a_i|$ every subgradient away from the kinks has norm $\|\mu\|$, however close
# $x$ is to $a$. A constant step then overshoots forever.
#
# ```{prf:proposition} A constant step oscillates around a kink
# :label: prop-02-constant-step
#
# Let $f(x)=\sum_{i=1}^d\mu_i|x_i-a_i|$ with $\mu_i>0$, and run $x_{t+1}=x_t-\eta\,g_t$ with
# $g_t=(\mu_i\operatorname{sign}(x_{t,i}-a_i))_i$ and a constant $\eta>0$. If no coordinate ever lands
# exactly on its kink, then for every $t$
#
# $$
# f(x_t)+f(x_{t+1})\;\ge\;\eta\,\|\mu\|^2,\qquad\text{so}\qquad \max\bigl(f(x_t),f(x_{t+1})\bigr)\ge\tfrac\eta2\|\mu\|^2 .
# $$
# ```
#
# ```{prf:proof}
# Fix a coordinate and write $u=x_{t,i}-a_i\ne0$. Then $x_{t+1,i}-a_i=u-\eta\mu_i\operatorname{sign}(u)$,
# so $|x_{t+1,i}-a_i|=\bigl||u|-\eta\mu_i\bigr|$, and by the triangle inequality
# $|u|+\bigl||u|-\eta\mu_i\bigr|\ge\eta\mu_i$. Multiply by $\mu_i$ and sum over $i$.
# ```
#
# So $f(x_t)$ cannot converge to $f^*=0$; the iterates end up jumping across the kinks with steps of
# length $\eta\|\mu\|$. With noisy subgradients the same happens even on smooth problems (the noise
# does not shrink); non-smoothness makes decreasing steps necessary **even without noise**. Below,
# the deterministic example of Section 2 with $\eta=0.05$, and the strongly convex stochastic problem
# of Section 5 with two constant steps against $\eta_t=1/(\lambda t)$.

# %%
ETA_DET = 0.05
run_det = sgd.run_sgd(demo, T_DEMO, schedule="constant", eta=ETA_DET, n_seeds=1, keep_path=True)
f_const = demo.value(run_det.path[:, 0])
pair_max = np.maximum(f_const[:-1], f_const[1:])
floor_det = ETA_DET * (1.0**2 + 2.0**2) / 2
print(f"constant eta = {ETA_DET}: max(f(x_t), f(x_t+1)) over the last half >= {pair_max[T_DEMO // 2:].min():.4f}; "
      f"the proposition's floor is {floor_det:.4f}")

toy_sc = sgd.strongly_convex_l1_problem(10, lam=1.0, mu=1.0, sigma=1.0, seed=0)
ck_const = sgd.log_checkpoints(T_CONST, 30)
const_runs = {}
for label, kwargs in [("eta_t = 1/(lam t)", dict(schedule="strongly_convex")),
                      ("eta = 0.1", dict(schedule="constant", eta=0.1)),
                      ("eta = 0.01", dict(schedule="constant", eta=0.01))]:
    run = sgd.run_sgd(toy_sc, T_CONST, n_seeds=S_TOY, seed=11, checkpoints=ck_const, **kwargs)
    const_runs[label] = run.suboptimality(toy_sc)


def late_ratio(subopt, ck=ck_const, T=T_CONST):
    """Mean suboptimality at T divided by the mean at T/10 (0.1 for a 1/T rate, 1 for a plateau)."""
    mean = subopt.mean(axis=1)
    return float(mean[-1] / np.interp(T / 10, ck, mean))


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].loglog(t_axis, f_const, lw=0.6, label=f"constant $\\eta$ = {ETA_DET}")
axes[0].loglog(t_axis, f_demo, lw=0.6, label="$\\eta_t = 0.5/\\sqrt{t}$")
axes[0].axhline(floor_det, color="k", ls=":", label="floor $\\eta\\|\\mu\\|^2/2$")
axes[0].set_xlabel("iteration t")
axes[0].set_title("deterministic: $f = |x_1| + 2|x_2|$")
axes[0].legend(fontsize=8)
axes[0].grid(True, which="both", alpha=0.3)
for label, sub in const_runs.items():
    sgd.plot_suboptimality(axes[1], ck_const, sub, label=f"{label} (ratio T/(T/10) = {late_ratio(sub):.2f})")
axes[1].set_ylabel("$E[F(w_T)] - F^*$")
axes[1].set_title(f"stochastic, strongly convex ({S_TOY} seeds)")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
ratio_decreasing = late_ratio(const_runs["eta_t = 1/(lam t)"])
ratio_constant = [late_ratio(const_runs["eta = 0.1"]), late_ratio(const_runs["eta = 0.01"])]
assert pair_max.min() >= floor_det * (1 - 1e-9), "a constant step cannot push both f(x_t) and f(x_t+1) below the floor"
assert f_demo[-1] < floor_det / 2, "with eta_t = 0.5/sqrt(t) the value must go below the constant step's floor"
assert min(ratio_constant) > 0.7, f"constant steps should plateau (ratio {ratio_constant})"
assert ratio_decreasing < 0.3, f"eta_t = 1/(lam t) should keep decreasing like 1/T (ratio {ratio_decreasing:.3f})"
results.record("constant_step_plateau_ratio", min(ratio_constant), unit="ratio",
               label="E subopt(T) / E subopt(T/10) with a constant step",
               claim="with a constant step the suboptimality stops decreasing (ratio near 1)")
results.record("decreasing_step_ratio", ratio_decreasing, unit="ratio",
               label="E subopt(T) / E subopt(T/10) with eta_t = 1/(lam t)", claim="about 0.1 for a 1/T rate")
print("Constant steps plateau; 1/(lam t) keeps going down.")

# %% [markdown]
# ## 4. Last-iterate bounds (Shamir and Zhang, 2013)
#
# **Assumptions.** $W\subset\mathbb{R}^d$ is non-empty, closed and convex; $F$ is convex on $W$ with a
# minimiser $w^*\in W$; the oracle is conditionally unbiased, $\mathbb{E}[\hat g_t\mid w_1,\dots,w_t]=g_t\in\partial F(w_t)$,
# and its second moment is bounded, $\mathbb{E}\|\hat g_t\|^2\le G^2$ for all $t$. $F$ is
# $\lambda$-**strongly convex** if $F(w')\ge F(w)+\langle g,w'-w\rangle+\tfrac\lambda2\|w'-w\|^2$ for all
# $w,w'\in W$ and $g\in\partial F(w)$. $D=\sup_{w,w'\in W}\|w-w'\|$ is the diameter of $W$; $\log$ is the
# natural logarithm.
#
# ```{prf:theorem} Last iterate, strongly convex case (Shamir and Zhang, 2013, Theorem 1)
# :label: thm-02-strongly-convex
#
# Let $F$ be $\lambda$-strongly convex and $\mathbb{E}\|\hat g_t\|^2\le G^2$ for all $t$. SGD with
# $\eta_t=1/(\lambda t)$ satisfies, for every $T>1$,
#
# $$
# \mathbb{E}\bigl[F(w_T)-F(w^*)\bigr]\;\le\;\frac{17\,G^2\,(1+\log T)}{\lambda T}.
# $$
# ```
#
# ```{prf:theorem} Last iterate, convex case (Shamir and Zhang, 2013, Theorem 2)
# :label: thm-02-convex
#
# Let $F$ be convex, $\mathbb{E}\|\hat g_t\|^2\le G^2$ for all $t$, and let $W$ have diameter $D$.
# SGD with $\eta_t=c/\sqrt t$ for a constant $c>0$ satisfies, for every $T>1$,
#
# $$
# \mathbb{E}\bigl[F(w_T)-F(w^*)\bigr]\;\le\;\Bigl(\frac{D^2}{c}+c\,G^2\Bigr)\frac{2+\log T}{\sqrt T}.
# $$
#
# The right-hand side is smallest for $c=D/G$, where it equals $2DG\,(2+\log T)/\sqrt T$.
# ```
#
# ```{prf:remark} The strongly convex case needs a bounded domain
# :label: rem-02-bounded-domain
#
# A $\lambda$-strongly convex $F$ grows at least quadratically, so its subgradients grow at least
# linearly: for $F(w)=\tfrac\lambda2\|w\|^2+\dots$ the gradient contains $\lambda w$. On $W=\mathbb{R}^d$
# there is then **no finite $G$** with $\mathbb{E}\|\hat g_t\|^2\le G^2$ everywhere, and the theorem is
# void unless one proves separately that the iterates stay bounded. The notes (and the theorem's
# statement) do not say this; the assumption $\mathbb{E}\|\hat g_t\|^2\le G^2$ quietly requires it. All
# experiments below therefore use a bounded $W$ (a ball or a box) and take $G$ as the supremum of
# $\mathbb{E}\|\hat g\|^2$ over $W$. For the SVM of Section 5.2, $\tfrac\lambda2\|w^*\|^2\le F(w^*)\le F(0)=1$,
# so $W=\{\|w\|\le\sqrt{2/\lambda}\}$ contains $w^*$ and nothing is lost by projecting onto it (Pegasos
# {cite}`shalevshwartz2011pegasos` uses the tighter radius $1/\sqrt\lambda$).
# ```
#
# **What is new here.** The classical analyses bound the *average* of the iterates: $O(1/\sqrt T)$ for
# the uniform average in the convex case (Zinkevich's online gradient descent
# {cite}`zinkevich2003online` with an online-to-batch argument), $O(\log T/T)$ for the uniform average
# and $O(1/T)$ for suffix averages in the strongly convex case {cite}`rakhlin2012making`. In practice one
# returns the **last** iterate. The theorems show that it is only a $\log T$ factor worse, without any
# smoothness; {cite:t}`harvey2019tight` later showed that with these step sizes the $\log T$ factor
# cannot be removed in general, even for deterministic subgradient descent.

# %% [markdown]
# ### 4.1 The structure of the proofs
#
# Both proofs have three ingredients: a one-step inequality, a comparison of the last iterate with
# averages over longer and longer suffixes of the run, and a classical bound for the longest suffix.
#
# ```{prf:lemma} One step
# :label: lem-02-one-step
#
# Let $w\in W$ be fixed or determined by $w_1,\dots,w_t$. Then
#
# $$
# \mathbb{E}\|w_{t+1}-w\|^2\le\mathbb{E}\|w_t-w\|^2-2\eta_t\,\mathbb{E}\langle g_t,w_t-w\rangle+\eta_t^2G^2 .
# $$
# ```
#
# ```{prf:proof}
# By {prf:ref}`lem-02-projection`, $\|w_{t+1}-w\|^2\le\|w_t-\eta_t\hat g_t-w\|^2=\|w_t-w\|^2-2\eta_t\langle\hat g_t,w_t-w\rangle+\eta_t^2\|\hat g_t\|^2$.
# Given the past, $w_t-w$ is known and $\hat g_t$ has mean $g_t$, so $\mathbb{E}\langle\hat g_t,w_t-w\rangle=\mathbb{E}\langle g_t,w_t-w\rangle$.
# Take expectations.
# ```
#
# The freedom to take $w$ random, for instance $w=w_{T-k}$, is what the suffix argument uses: $w_{T-k}$ is
# known before every step $t\ge T-k$. Divide the lemma by $2\eta_t$, sum over $t=T-k,\dots,T$ and use
# convexity, $F(w_t)-F(w)\le\langle g_t,w_t-w\rangle$. With $1/\eta_t$ non-decreasing and the last
# (negative) term dropped, this gives for every $w$ as above
#
# $$
# \sum_{t=T-k}^{T}\mathbb{E}\bigl[F(w_t)-F(w)\bigr]\le\frac{\mathbb{E}\|w_{T-k}-w\|^2}{2\eta_{T-k}}
# +\sum_{t=T-k+1}^{T}\frac{\mathbb{E}\|w_t-w\|^2}{2}\Bigl(\frac1{\eta_t}-\frac1{\eta_{t-1}}\Bigr)
# +\frac{G^2}{2}\sum_{t=T-k}^{T}\eta_t. \qquad(\star)
# $$
#
# ```{prf:lemma} From suffix averages to the last iterate
# :label: lem-02-telescoping
#
# Let $S_k=\frac1{k+1}\sum_{t=T-k}^{T}\mathbb{E}F(w_t)$ be the expected value averaged over the last
# $k+1$ iterates, so that $S_0=\mathbb{E}F(w_T)$. If, for $k=1,\dots,K$,
# $\sum_{t=T-k}^{T}\mathbb{E}\bigl[F(w_t)-F(w_{T-k})\bigr]\le(k+1)B_k$, then
#
# $$
# \mathbb{E}F(w_T)\;\le\;S_K+\sum_{k=1}^{K}\frac{B_k}{k}.
# $$
# ```
#
# ```{prf:proof}
# The hypothesis reads $(k+1)S_k-(k+1)\mathbb{E}F(w_{T-k})\le(k+1)B_k$, that is
# $\mathbb{E}F(w_{T-k})\ge S_k-B_k$. Since $kS_{k-1}=(k+1)S_k-\mathbb{E}F(w_{T-k})\le kS_k+B_k$, we get
# $S_{k-1}\le S_k+B_k/k$. Sum over $k=1,\dots,K$: the $S$'s telescope.
# ```
#
# Each comparison of a suffix with a one-step-longer suffix costs $B_k/k$; with $B_k$ roughly constant
# the harmonic sum $\sum_k1/k\approx\log K$ is where the $\log T$ of both theorems comes from.
#
# ```{prf:lemma} Distance to the optimum (Rakhlin, Shamir and Sridharan, 2012)
# :label: lem-02-rakhlin
#
# If $F$ is $\lambda$-strongly convex, $\mathbb{E}\|\hat g_t\|^2\le G^2$ and $\eta_t=1/(\lambda t)$, then
# $\mathbb{E}\|w_t-w^*\|^2\le 4G^2/(\lambda^2t)$ for every $t\ge1$.
# ```
#
# ```{prf:proof}
# Strong convexity at $w$ and at $w^*$ (where some subgradient $g^*$ has $\langle g^*,w-w^*\rangle\ge0$)
# gives $F(w^*)\ge F(w)+\langle g,w^*-w\rangle+\frac\lambda2\|w-w^*\|^2$ and
# $F(w)\ge F(w^*)+\frac\lambda2\|w-w^*\|^2$; adding them, $\langle g,w-w^*\rangle\ge\lambda\|w-w^*\|^2$
# for every $g\in\partial F(w)$. With Cauchy–Schwarz and $\|g_1\|\le G$ this gives
# $\|w_1-w^*\|\le G/\lambda$. {prf:ref}`lem-02-one-step` with $w=w^*$ gives, for $a_t=\mathbb{E}\|w_t-w^*\|^2$,
# $a_{t+1}\le(1-2/t)\,a_t+G^2/(\lambda^2t^2)$. At $t=1$ this is $a_2\le G^2/\lambda^2\le4G^2/(2\lambda^2)$.
# For $t\ge2$, by induction, $a_{t+1}\le\frac{G^2}{\lambda^2}\bigl(\frac4t-\frac8{t^2}+\frac1{t^2}\bigr)=\frac{G^2(4t-7)}{\lambda^2t^2}\le\frac{4G^2}{\lambda^2(t+1)}$,
# because $(4t-7)(t+1)=4t^2-3t-7\le4t^2$.
# ```
#
# ```{prf:proof}
# *Sketch for {prf:ref}`thm-02-strongly-convex`.* Take $K=\lfloor T/2\rfloor$, so $T-k\ge T/2$ for all $k\le K$.
#
# *The increments $B_k$.* Use $(\star)$ with $w=w_{T-k}$: the first term vanishes, $1/\eta_t-1/\eta_{t-1}=\lambda$,
# and $\sum_{t=T-k}^{T}1/t\le(k+1)/(T-k)$. By {prf:ref}`lem-02-rakhlin` and $\|a+b\|^2\le2\|a\|^2+2\|b\|^2$,
# $\mathbb{E}\|w_t-w_{T-k}\|^2\le2\bigl(\frac{4G^2}{\lambda^2t}+\frac{4G^2}{\lambda^2(T-k)}\bigr)\le\frac{32G^2}{\lambda^2T}$.
# Hence $(\star)\le\frac{16G^2k}{\lambda T}+\frac{G^2(k+1)}{2\lambda(T-k)}$, and {prf:ref}`lem-02-telescoping` applies with
# $B_k=\frac{16G^2}{\lambda T}+\frac{G^2}{2\lambda(T-k)}$. Using $\sum_{k\le K}\frac1k\le1+\log\frac T2$ and
# $\frac1{k(T-k)}=\frac1T\bigl(\frac1k+\frac1{T-k}\bigr)$,
#
# $$
# \sum_{k=1}^{K}\frac{B_k}{k}\le\frac{16G^2(1+\log(T/2))}{\lambda T}+\frac{G^2(2+\log T)}{2\lambda T}.
# $$
#
# *The longest suffix.* Use $(\star)$ with $w=w^*$ and $k=K$, and bound every distance with
# {prf:ref}`lem-02-rakhlin`: $\sum_{t=T-K}^{T}\mathbb{E}[F(w_t)-F^*]\le\frac{2G^2}\lambda+\frac{5G^2}{2\lambda}\sum_{t=T-K}^{T}\frac1t$.
# Since $\sum_{t=T-K}^{T}\frac1t\le\frac{K+1}{T-K}\le\frac{2(K+1)}T$ and $K+1>T/2$, dividing by $K+1$ gives
# $S_K-F^*\le\frac{4G^2}{\lambda T}+\frac{5G^2}{\lambda T}=\frac{9G^2}{\lambda T}$ — this is Rakhlin et al.'s suffix-averaging
# argument (Shamir and Zhang quote it with the constant 10).
#
# *Collect.* $\mathbb{E}F(w_T)-F^*\le\frac{G^2}{\lambda T}\bigl(9+16+16\log T-16\log2+1+\tfrac12\log T\bigr)\le\frac{G^2}{\lambda T}(14.91+16.5\log T)\le\frac{17G^2(1+\log T)}{\lambda T}$.
# ```
#
# ```{prf:proof}
# *Sketch for {prf:ref}`thm-02-convex`.* Now $K=T-1$ (the whole run). With $w=w_{T-k}$ in $(\star)$ the first term vanishes; bound
# $\mathbb{E}\|w_t-w_{T-k}\|^2\le D^2$, so the middle sum telescopes to $\frac{D^2}{2c}(\sqrt T-\sqrt{T-k})$, and
# $\sum_{t=T-k}^{T}t^{-1/2}\le2(\sqrt T-\sqrt{T-k-1})$. Since $\sqrt T-\sqrt{T-k-1}=\frac{k+1}{\sqrt T+\sqrt{T-k-1}}\le\frac{k+1}{\sqrt T}$,
# {prf:ref}`lem-02-telescoping` applies with the constant $B_k=\bigl(\frac{D^2}{2c}+cG^2\bigr)\frac1{\sqrt T}$.
# For the longest suffix, $(\star)$ with $w=w^*$ and $k=T-1$ is Zinkevich's argument:
# $S_{T-1}-F^*\le\bigl(\frac{D^2}{2c}+cG^2\bigr)\frac1{\sqrt T}$. With $\sum_{k=1}^{T-1}\frac1k\le1+\log T$,
#
# $$
# \mathbb{E}F(w_T)-F^*\le\Bigl(\frac{D^2}{2c}+cG^2\Bigr)\frac{2+\log T}{\sqrt T},
# $$
#
# which implies the theorem (its statement keeps the slightly weaker $D^2/c$).
# ```
#
# ```{admonition} Correction
# :class: warning
# Slips in the notes' version of these proofs, all repaired above:
# 1. Theorem 2 assumes "$\mathbb{E}[\hat g_t]\le G^2$"; the assumption is on the second moment,
#    $\mathbb{E}\|\hat g_t\|^2\le G^2$ (a vector cannot be bounded by a number).
# 2. Theorem 1 needs a bounded domain, or no finite $G$ exists ({prf:ref}`rem-02-bounded-domain`).
# 3. In the bound of $\sum_{k}\sum_{t}\frac1{k(k+1)t}$, the notes claim $\frac1T\sum_{k=1}^{\lfloor T/2\rfloor}\bigl(\frac1k+\frac1{T-k}\bigr)\le\frac{1+\log T}{T}$.
#    This fails at $T=2$ (the left side is $1$, the right side $0.85$): for even $T$ the term $k=T/2$
#    contributes $\frac1k+\frac1{T-k}=\frac4T$, i.e. $\frac1{T/2}$ is counted twice, and the claimed bound
#    holds only from $T=3$ on. $(2+\log T)/T$ holds for every $T\ge2$; with it the constant 17 survives,
#    as the collection step above shows.
# 4. In the convex proof, the notes' equation (10) divides by $k+1$ and keeps $(k+1)/\sqrt T$; it must
#    be $1/\sqrt T$ (their next line uses the right value). The first display of that proof also lacks
#    the sum over $t$ on its left-hand side.
# 5. The step $w=w_{T-k}$ in $(\star)$ uses a *random* comparison point; this is allowed only because
#    $w_{T-k}$ is determined before the steps $t\ge T-k$ ({prf:ref}`lem-02-one-step`). The notes do not say so.
# ```

# %% [markdown]
# ### Exercises: one step and the bound
#
# ```{exercise} One projected SGD step
# :label: ex-02-sgd-step
#
# Write `projected_sgd_step(w, g, t, lam, radius)` returning $w_{t+1}=\Pi\bigl(w_t-\eta_t g_t\bigr)$ with
# the strongly convex schedule $\eta_t=1/(\lambda t)$ (steps are numbered from $t=1$) and $\Pi$ the
# projection onto the ball of radius `radius` centred at 0. `w` and `g` are 1-D arrays; return a new array.
# ```
#
# ```{solution-start} ex-02-sgd-step
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 2.3: one step of projected SGD with eta_t = 1/(lam t) onto the ball of radius `radius`
def projected_sgd_step(w, g, t, lam, radius):
    """Return Pi_ball(w - g / (lam t)) as a new array."""
    ### BEGIN SOLUTION
    v = np.asarray(w, dtype=float) - np.asarray(g, dtype=float) / (lam * t)
    norm = np.linalg.norm(v)
    return v if norm <= radius else v * (radius / norm)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch02.check_projected_sgd_step(projected_sgd_step)

# %% [markdown]
# ```{exercise} The strongly convex bound
# :label: ex-02-bound
#
# Write `strongly_convex_bound(T, G, lam)` returning the right-hand side of
# {prf:ref}`thm-02-strongly-convex`, $17G^2(1+\log T)/(\lambda T)$ with the natural logarithm. `T` may be
# a number or a NumPy array of horizons (return an array of the same shape then).
# ```
#
# ```{solution-start} ex-02-bound
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 2.4: evaluate Shamir and Zhang's bound 17 G^2 (1 + log T) / (lam T)
def strongly_convex_bound(T, G, lam):
    """Return 17 G^2 (1 + ln T) / (lam T); T may be an array."""
    ### BEGIN SOLUTION
    T = np.asarray(T, dtype=float)
    return 17 * G**2 * (1 + np.log(T)) / (lam * T)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch02.check_strongly_convex_bound(strongly_convex_bound)

# %% [markdown]
# ## 5. Experiments: the strongly convex case
#
# To test a bound on $\mathbb{E}[F(w_T)]-F^*$ we need $F$, $F^*$ and the constants exactly. Every
# experiment averages $F(w_T)-F^*$ (computed exactly, not estimated) over independent seeds, which
# run together as the rows of one array, and shows the mean with a band of two standard errors.
# Slopes are least-squares fits of $\log$ (mean suboptimality) against $\log T$ on the **second half
# of the $\log T$ range**, $\sqrt{T_{\max}}\le T\le T_{\max}$, where the early transient is over.
#
# ### 5.1 A toy problem with every constant known
#
# $$
# F(w)=\frac\lambda2\|w\|^2+\mu\|w-a\|_1\quad\text{on}\quad W=\{\|w\|\le R\}\subset\mathbb{R}^{10},\qquad
# \hat g=\lambda w+\mu\operatorname{sign}(w-a)+\sigma\xi,\ \ \xi\sim\mathcal N(0,I),
# $$
#
# with $\lambda=\mu=\sigma=1$, $R=\sqrt{10}$ and a fixed random $a$ with $|a_i|<\mu/\lambda$. Then
# $0\in\lambda a_i+\mu[-1,1]$ in every coordinate, so $w^*=a$: the minimiser sits on a kink in **all ten
# coordinates**, the least smooth situation possible. $F^*=\frac\lambda2\|a\|^2$, $D=2R$, and
# $\mathbb{E}\|\hat g\|^2=\|\lambda w+\mu\operatorname{sign}(w-a)\|^2+\sigma^2d$ has supremum
# $G^2=(\lambda R+\mu\sqrt d)^2+\sigma^2d=50$ on $W$, reached at the corner $w_1=R(1,\dots,1)/\sqrt d$
# where every run starts.

# %%
print(toy_sc.description)
print(f"G = {toy_sc.G:.4f} (G^2 = {toy_sc.G**2:.1f}), D = {toy_sc.D:.4f}, F* = {toy_sc.f_star:.4f}")
run_sc = sgd.run_sgd(toy_sc, T_TOY, n_seeds=S_TOY, seed=1, checkpoints=sgd.log_checkpoints(T_TOY, 40))
ck_sc = run_sc.checkpoints
sub_sc = run_sc.suboptimality(toy_sc)
bound_sc = sgd.strongly_convex_bound(ck_sc, toy_sc.G, toy_sc.lam)

# %% [markdown]
# ### 5.2 A support vector machine on two MNIST digits
#
# The L2-regularised hinge loss (no bias) on the digits 4 and 9 of the course's training split
# (`course_lib.data`), labels $+1$ for 4 and $-1$ for 9, every image flattened and scaled to unit norm:
#
# $$
# F(w)=\frac\lambda2\|w\|^2+\frac1n\sum_{i=1}^n\max\bigl(0,1-y_i\langle w,x_i\rangle\bigr),\qquad\lambda=0.01 .
# $$
#
# $F$ is $\lambda$-strongly convex and non-smooth at every $w$ that puts an example exactly on the margin.
# The oracle draws one example uniformly. $W$ is the ball of radius $R=\sqrt{2/\lambda}$
# ({prf:ref}`rem-02-bounded-domain`), $D=2R$, and $\|\hat g\|\le\lambda R+\max_i\|x_i\|$ gives a valid $G$
# (an upper bound, not the exact supremum). The optimum comes from liblinear's dual coordinate descent
# {cite}`hsieh2008dual` followed by an exact solve of the optimality conditions on the margin
# examples; the duality gap certifies it to about $10^{-15}$, far below the suboptimalities we measure.
# $\lambda=0.01$ is small enough that $w^*$ sits on many kinks (examples exactly on the margin) and large
# enough that a few thousand steps leave the transient.

# %%
LAM_SVM = 0.01
x_train, y_train = data.mnist("train")
keep = (y_train == 4) | (y_train == 9)
X_svm = x_train[keep].reshape(int(keep.sum()), -1).double().numpy()
X_svm /= np.linalg.norm(X_svm, axis=1, keepdims=True)
Y_svm = np.where(y_train[keep].numpy() == 4, 1.0, -1.0)
svm_solution = sgd.svm_optimum(X_svm, Y_svm, LAM_SVM)
svm = sgd.hinge_svm_problem(X_svm, Y_svm, LAM_SVM, solution=svm_solution)
print(svm.description)
print(f"F* = {svm.f_star:.10f}, duality gap = {svm_solution.gap:.2e}, examples on the margin (kinks at w*): "
      f"{svm_solution.n_margin}, ||w*|| = {np.linalg.norm(svm.w_star):.3f} <= R = {svm.D / 2:.3f}, G = {svm.G:.4f}")
run_svm = sgd.run_sgd(svm, T_SVM, n_seeds=S_SVM, seed=2, checkpoints=sgd.log_checkpoints(T_SVM, 30))
ck_svm = run_svm.checkpoints
sub_svm = run_svm.suboptimality(svm)
bound_svm = sgd.strongly_convex_bound(ck_svm, svm.G, svm.lam)

x_eval, y_eval = data.mnist("eval")
keep_eval = (y_eval == 4) | (y_eval == 9)
X_eval = x_eval[keep_eval].reshape(int(keep_eval.sum()), -1).double().numpy()
X_eval /= np.linalg.norm(X_eval, axis=1, keepdims=True)
Y_eval = np.where(y_eval[keep_eval].numpy() == 4, 1.0, -1.0)
acc_star = float(np.mean(np.sign(X_eval @ svm.w_star) == Y_eval))
acc_last = float(np.mean(np.sign(X_eval @ run_svm.last[-1].T) == Y_eval[:, None]))
print(f"accuracy on the {keep_eval.sum()} evaluation 4s and 9s: w* {acc_star:.3f}, last SGD iterate "
      f"(mean over seeds) {acc_last:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
slope_sc = sgd.plot_suboptimality(axes[0], ck_sc, sub_sc, label="last iterate $w_T$", bound=bound_sc,
                                  bound_label="Theorem 1 bound", fit_range=(FIT_LO_TOY, T_TOY))
axes[0].set_title(f"toy: $\\lambda/2\\|w\\|^2 + \\mu\\|w-a\\|_1$, {S_TOY} seeds")
axes[0].set_ylabel("$E[F(w_T)] - F^*$")
axes[0].legend(fontsize=8)
slope_svm = sgd.plot_suboptimality(axes[1], ck_svm, sub_svm, label="last iterate $w_T$", bound=bound_svm,
                                   bound_label="Theorem 1 bound", fit_range=(np.sqrt(T_SVM), T_SVM))
axes[1].set_title(f"SVM, MNIST 4 vs 9, $\\lambda$ = {LAM_SVM}, {S_SVM} seeds")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
mean_sc, mean_svm = sub_sc.mean(axis=1), sub_svm.mean(axis=1)
print(f"toy: slope {slope_sc:.3f}, final E subopt {mean_sc[-1]:.3g}, bound / measured >= {np.min(bound_sc / mean_sc):.0f}")
print(f"SVM: slope {slope_svm:.3f}, final E subopt {mean_svm[-1]:.3g}, bound / measured >= {np.min(bound_svm / mean_svm):.0f}")

# %% [markdown]
# Both curves fall like $1/T$: the fitted slopes are close to $-1$ (the $\log T$ factor of the bound
# is not visible on these problems; it is a worst-case factor). The bound holds at every $T$ but is
# loose by one to three orders of magnitude: the constant 17 and $G^2$, a supremum over the whole ball,
# are worst-case quantities, while near the optimum the subgradients are much smaller. For the SVM
# the bound only drops below $F(0)-F^*\approx0.51$, the suboptimality of the starting point, after
# about 50,000 steps.

# %%
bound_holds_sc = bool(np.all(mean_sc <= bound_sc))
bound_holds_svm = bool(np.all(mean_svm <= bound_svm))
assert bound_holds_sc, "Theorem 1's bound must hold at every T on the toy problem"
assert bound_holds_svm, "Theorem 1's bound must hold at every T on the SVM"
assert abs(slope_sc + 1) < 0.15, f"the toy problem's last iterate should decay like 1/T (slope {slope_sc:.3f})"
assert abs(slope_svm + 1) < 0.15, f"the SVM's last iterate should decay like 1/T (slope {slope_svm:.3f})"
assert svm_solution.gap < 1e-9 and svm_solution.n_margin > 0, "w* must be certified and sit on kinks"
results.record("sc_toy_slope", slope_sc, unit="log-log slope", label="strongly convex toy: slope of E[F(w_T)] - F*",
               claim="close to -1 (within 0.15) on [sqrt(T), T]")
results.record("sc_toy_final_subopt", float(mean_sc[-1]), unit="F units", label=f"toy E[F(w_T)] - F* at T = {T_TOY}")
results.record("sc_toy_bound_holds", bound_holds_sc, label="Theorem 1 bound holds at every T (toy)")
results.record("svm_slope", slope_svm, unit="log-log slope", label="SVM (MNIST 4 vs 9): slope of E[F(w_T)] - F*",
               claim="close to -1 (within 0.15) on [sqrt(T), T]")
results.record("svm_final_subopt", float(mean_svm[-1]), unit="F units", label=f"SVM E[F(w_T)] - F* at T = {T_SVM}")
results.record("svm_bound_holds", bound_holds_svm, label="Theorem 1 bound holds at every T (SVM)")
results.record("svm_duality_gap", svm_solution.gap, unit="F units", label="duality gap of the SVM optimum")
results.record("svm_eval_accuracy", acc_star, unit="accuracy", label="accuracy of w* on the evaluation 4s and 9s")
print("Theorem 1: the bound holds at every T, and the last iterate decays like 1/T on both problems.")

# %% [markdown]
# ## 6. Experiments: the convex case
#
# $$
# F(w)=\sum_{i=1}^{10}|w_i-a_i|\quad\text{on}\quad W=\{\|w\|\le1\},\qquad \hat g=\operatorname{sign}(w-a)+\sigma\xi,\ \ \sigma=1,
# $$
#
# with $\|a\|=1/2$, so $w^*=a$, $F^*=0$, $D=2$ and $G^2=d(1+\sigma^2)=20$ (exact: $\|\operatorname{sign}(w-a)\|^2=d$
# wherever no coordinate is on its kink). $F$ is convex but not strongly convex, and non-smooth at
# $w^*$. We use $\eta_t=c/\sqrt t$ with the bound-minimising $c=D/G$ and start on the sphere, opposite to $a$.

# %%
toy_cvx = sgd.convex_l1_problem(10, mu=1.0, sigma=1.0, radius=1.0, seed=0)
C_CVX = toy_cvx.D / toy_cvx.G
print(toy_cvx.description)
print(f"G = {toy_cvx.G:.4f}, D = {toy_cvx.D:.1f}, c = D/G = {C_CVX:.4f}")
run_cvx = sgd.run_sgd(toy_cvx, T_TOY, schedule="sqrt", c=C_CVX, n_seeds=S_TOY, seed=3,
                      checkpoints=sgd.log_checkpoints(T_TOY, 40))
ck_cvx = run_cvx.checkpoints
sub_cvx = run_cvx.suboptimality(toy_cvx)
bound_cvx = sgd.convex_bound(ck_cvx, toy_cvx.G, toy_cvx.D, C_CVX)

fig, ax = plt.subplots(figsize=(6.5, 4.5))
slope_cvx = sgd.plot_suboptimality(ax, ck_cvx, sub_cvx, label="last iterate $w_T$", bound=bound_cvx,
                                   bound_label="Theorem 2 bound", fit_range=(FIT_LO_TOY, T_TOY))
ax.set_ylabel("$E[F(w_T)] - F^*$")
ax.set_title(f"convex toy: $\\|w - a\\|_1$, $\\eta_t = c/\\sqrt{{t}}$, {S_TOY} seeds")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
mean_cvx = sub_cvx.mean(axis=1)
print(f"convex toy: slope {slope_cvx:.3f}, final E subopt {mean_cvx[-1]:.3g}, "
      f"bound / measured >= {np.min(bound_cvx / mean_cvx):.1f}")

# %%
bound_holds_cvx = bool(np.all(mean_cvx <= bound_cvx))
assert bound_holds_cvx, "Theorem 2's bound must hold at every T"
assert abs(slope_cvx + 0.5) < 0.15, f"the convex last iterate should decay like 1/sqrt(T) (slope {slope_cvx:.3f})"
results.record("convex_toy_slope", slope_cvx, unit="log-log slope", label="convex toy: slope of E[F(w_T)] - F*",
               claim="close to -1/2 (within 0.15) on [sqrt(T), T]")
results.record("convex_toy_final_subopt", float(mean_cvx[-1]), unit="F units",
               label=f"convex toy E[F(w_T)] - F* at T = {T_TOY}")
results.record("convex_toy_bound_holds", bound_holds_cvx, label="Theorem 2 bound holds at every T")
print("Theorem 2: the bound holds at every T, and the last iterate decays like 1/sqrt(T).")

# %% [markdown]
# Here the last iterate is a factor of about ten below the bound, with the $1/\sqrt T$ slope of the
# theorem: near the kink, each coordinate jumps back and forth across it with steps of size
# $\approx c/\sqrt t$, and its distance to the kink is of that order.

# %% [markdown]
# ## 7. Averaging: last iterate, uniform, suffix and polynomial-decay
#
# Instead of the last iterate one can return an average of the run. Four choices, all computed on the
# fly by `sgd.run_sgd`:
#
# - **last iterate** $w_T$;
# - **uniform average** $\bar w_T=\frac1T\sum_{t=1}^Tw_t$;
# - **$\alpha$-suffix average** {cite}`rakhlin2012making`: the mean of the last $\lceil\alpha T\rceil$ iterates
#   (here $\alpha=1/2$). It forgets the early, poor iterates, but needs $T$ in advance (or a stored run);
# - **polynomial-decay average** {cite}`shamir2013stochastic`: $\bar w^\gamma_1=w_1$ and
#   $\bar w^\gamma_t=\bigl(1-\frac{\gamma+1}{t+\gamma}\bigr)\bar w^\gamma_{t-1}+\frac{\gamma+1}{t+\gamma}w_t$
#   (Shamir and Zhang call the parameter $\eta$; we write $\gamma=3$ to avoid a clash with the step sizes).
#   $\gamma=0$ is the uniform average; $\gamma>0$ gives recent iterates more weight, and it is updated
#   in $O(d)$ per step for any $T$.
#
# For $\lambda$-strongly convex $F$ and $\eta_t=1/(\lambda t)$, suffix averaging {cite}`rakhlin2012making`
# and polynomial-decay averaging {cite}`shamir2013stochastic` reach the optimal $O(G^2/(\lambda T))$,
# while the uniform average can only be shown to reach $O(G^2\log T/(\lambda T))$. On smooth problems
# this $\log T$ never appears. On non-smooth ones it can: the early iterates sit mostly on one side of
# $w^*$, at a distance of order $1/t$; they enter the uniform average with weight $1/T$ each, and their
# offsets add up to $\sum_t\frac1{tT}\approx\frac{\log T}{T}$;
# at a kink, $F$ grows linearly with the distance, so this bias shows up directly in $F$.

# %%
kinds = {"last": "last iterate", "uniform": "uniform average", "suffix": "suffix average ($\\alpha$ = 1/2)",
         "poly": "polynomial decay ($\\gamma$ = 3)"}
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
benign = [(axes[0], "toy strongly convex", toy_sc, run_sc), (axes[1], "SVM", svm, run_svm),
          (axes[2], "toy convex", toy_cvx, run_cvx)]
final_by_kind = {}
for ax, title, problem, run in benign:
    for kind, label in kinds.items():
        sub = run.suboptimality(problem, kind)
        sgd.plot_suboptimality(ax, run.checkpoints, sub, label=label)
        final_by_kind[(title, kind)] = float(sub[-1].mean())
    ax.set_title(title)
    ax.set_ylabel("$E[F(\\cdot)] - F^*$")
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
for title in ("toy strongly convex", "SVM", "toy convex"):
    print(f"{title:20s}: " + ", ".join(f"{k} {final_by_kind[(title, k)]:.3g}" for k in kinds))

# %% [markdown]
# On the SVM the four curves stay within a factor of about two of each other; suffix and
# polynomial-decay averaging are the best by a small margin. On the strongly convex toy problem the
# uniform average falls behind from $T\approx10$ on and its curve is flatter than the others: that is
# the $\log T$ bias at work, since every coordinate of $w^*$ sits on a kink. On the convex toy the averages converge like $1/T$, much faster than the
# $1/\sqrt T$ of the last iterate: the iterates oscillate almost symmetrically around a sharp minimum,
# and averaging cancels the oscillation. To see the $\log T$ of the uniform average unambiguously we
# need the hard instances of {cite:t}`rakhlin2012making`.
#
# ### 7.1 The hard instances of Rakhlin, Shamir and Sridharan
#
# Both are one-dimensional, $1$-strongly convex, with $w^*=0$, $F^*=0$, $\eta_t=1/t$, start $w_1=1$, and
# noise $Z\sim\mathrm{Uniform}[-1,3]$ (mean 1):
#
# - **A**: $W=[0,1]$, $F(w)=\frac12w^2+w$, $\hat g=w+Z$. $F$ is smooth, but its minimiser is the end
#   point of $W$ where $F'(0)=1\neq0$: the constrained problem is non-smooth.
# - **B**: $W=[-1,1]$, $F(w)=\frac12w^2+w$ for $w\ge0$ and $\frac12w^2-7w$ for $w<0$;
#   $\hat g=w+Z$ for $w\ge0$ and $\hat g=w-7$ for $w<0$. The minimiser is an interior kink.
#
# They prove $\mathbb{E}[F(\bar w_T)]-F^*=\Omega(\log T/T)$ for the uniform average on both, while suffix
# averaging is $O(1/T)$. The plots show $T\cdot(\mathbb{E}F-F^*)$ against $T$ on a logarithmic axis: an
# $O(1/T)$ method gives a flat curve, a $\log T/T$ method a rising straight line.

# %%
hard = {}
ck_hard = sgd.log_checkpoints(T_HARD, 30, start=10)
for kind_name in ("A", "B"):
    problem = sgd.rakhlin_example(kind_name)
    run = sgd.run_sgd(problem, T_HARD, n_seeds=S_HARD, seed=4, checkpoints=ck_hard)
    hard[kind_name] = {kind: run.suboptimality(problem, kind) for kind in kinds}

fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
for ax, kind_name in zip(axes[:2], ("A", "B")):
    for kind, label in kinds.items():
        sub = hard[kind_name][kind]
        mean = sub.mean(axis=1)
        se = sub.std(axis=1, ddof=1) / np.sqrt(S_HARD)
        ax.semilogx(ck_hard, ck_hard * mean, label=label)
        ax.fill_between(ck_hard, ck_hard * (mean - 2 * se), ck_hard * (mean + 2 * se), alpha=0.2, linewidth=0)
    ax.set_xlabel("iteration T")
    ax.set_ylabel("$T \\cdot (E[F] - F^*)$")
    ax.set_title(f"hard instance {kind_name} ({S_HARD} seeds)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
ratios = {k: hard[k]["uniform"].mean(axis=1) / hard[k]["suffix"].mean(axis=1) for k in ("A", "B")}
for kind_name, ratio in ratios.items():
    axes[2].semilogx(ck_hard, ratio, "o-", ms=3, label=f"instance {kind_name}")
axes[2].set_xlabel("iteration T")
axes[2].set_title("uniform / suffix suboptimality")
axes[2].grid(True, which="both", alpha=0.3)
axes[2].legend()
plt.tight_layout()
plt.show()

T_EARLY = 100
ratio_early = {k: float(np.interp(T_EARLY, ck_hard, r)) for k, r in ratios.items()}
ratio_late = {k: float(r[-1]) for k, r in ratios.items()}
# slope of T * E[F(uniform)] against log T: a positive constant for a log(T)/T rate
log_slope = {k: float(np.polyfit(np.log(ck_hard[ck_hard >= T_EARLY]),
                                 (ck_hard * hard[k]["uniform"].mean(axis=1))[ck_hard >= T_EARLY], 1)[0])
             for k in ("A", "B")}
for k in ("A", "B"):
    print(f"instance {k}: uniform/suffix = {ratio_early[k]:.2f} at T = {T_EARLY}, {ratio_late[k]:.2f} at T = {T_HARD}; "
          f"T * E subopt(uniform) grows by {log_slope[k]:.2f} per unit of log T; "
          f"T * E subopt at T = {T_HARD}: suffix {T_HARD * hard[k]['suffix'][-1].mean():.2f}, "
          f"poly {T_HARD * hard[k]['poly'][-1].mean():.2f}, last {T_HARD * hard[k]['last'][-1].mean():.2f}")

# %%
for k in ("A", "B"):
    assert ratio_late[k] > 1.3 * ratio_early[k], \
        f"instance {k}: uniform/suffix should grow with T ({ratio_early[k]:.2f} -> {ratio_late[k]:.2f})"
    assert log_slope[k] > 0.1, f"instance {k}: T * E subopt of the uniform average should grow like log T"
    assert hard[k]["suffix"][-1].mean() < hard[k]["uniform"][-1].mean(), f"instance {k}: suffix must beat uniform"
    assert hard[k]["poly"][-1].mean() < hard[k]["uniform"][-1].mean(), f"instance {k}: polynomial decay must beat uniform"
    results.record(f"hard_{k}_ratio_early", ratio_early[k], unit="ratio",
                   label=f"instance {k}: E subopt(uniform) / E subopt(suffix) at T = {T_EARLY}")
    results.record(f"hard_{k}_ratio_late", ratio_late[k], unit="ratio",
                   label=f"instance {k}: E subopt(uniform) / E subopt(suffix) at T = {T_HARD}",
                   claim="grows with T (like log T): uniform averaging is Theta(log T / T), suffix O(1/T)")
results.record("toy_sc_final_by_average", {k: final_by_kind[("toy strongly convex", k)] for k in kinds},
               unit="F units", label=f"toy strongly convex: E subopt at T = {T_TOY} by averaging scheme")
print("On the hard instances the uniform average loses a log T factor; suffix and polynomial decay do not.")

# %% [markdown]
# On both instances $T\cdot(\mathbb{E}F(\bar w_T)-F^*)$ of the uniform average rises along a straight line
# in $\log T$ — the $\Theta(\log T/T)$ of {cite:t}`rakhlin2012making` — while the suffix and
# polynomial-decay averages, and here also the last iterate, stay flat at $O(1/T)$. The ratio between
# uniform and suffix averaging keeps growing with $T$.

# %% [markdown]
# ## Summary
#
# - A subgradient defines an affine lower bound; the projected (stochastic) subgradient step
#   $w_{t+1}=\Pi_W(w_t-\eta_t\hat g_t)$ minimises that linear model plus $\frac1{2\eta_t}\|w-w_t\|^2$ over $W$
#   ({prf:ref}`prop-02-prox`).
# - It is **not a descent method**: at $(1,0)$ the subgradient $(1,2)$ of $|x_1|+2|x_2|$ increases $f$ for every
#   step size, and a whole run increased $f$ at many steps. What decreases is the distance to the minimisers.
# - A **constant step never converges** at a kink: $f(x_t)+f(x_{t+1})\ge\eta\|\mu\|^2$
#   ({prf:ref}`prop-02-constant-step`); both the deterministic and the stochastic runs plateau.
# - **Last iterate** (Shamir and Zhang): $\mathbb{E}[F(w_T)-F^*]\le17G^2(1+\log T)/(\lambda T)$ with
#   $\eta_t=1/(\lambda t)$ for $\lambda$-strongly convex $F$ on a bounded domain, and
#   $\le(D^2/c+cG^2)(2+\log T)/\sqrt T$ with $\eta_t=c/\sqrt t$ for convex $F$. The proofs compare the last
#   iterate with suffix averages of growing length; the harmonic sum of these comparisons is the $\log T$.
# - Measured: slopes close to $-1$ (toy and MNIST SVM) and $-1/2$ (convex toy), the bounds hold at every $T$
#   and are loose by one to three orders of magnitude.
# - **Averaging**: suffix and polynomial-decay averages reach $O(1/T)$ in the strongly convex case; on Rakhlin
#   et al.'s hard instances the uniform average is $\Theta(\log T/T)$ and its ratio to the suffix average
#   grows with $T$.
# - The notes this chapter grew from had slips (the second-moment assumption, the missing bounded
#   domain, a harmonic-sum bound, a division in the convex proof, an "equivalent unconstrained" step);
#   the *Correction* boxes repair them.

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```
#
# - Harvey, N. J. A., Liaw, C., Plan, Y., Randhawa, S. (2019). Tight analyses for non-smooth stochastic
#   gradient descent. *Proceedings of the 32nd Conference on Learning Theory (COLT 2019)*, PMLR 99, 1579–1613.
# - Hsieh, C.-J., Chang, K.-W., Lin, C.-J., Keerthi, S. S., Sundararajan, S. (2008). A dual coordinate
#   descent method for large-scale linear SVM. *Proceedings of the 25th International Conference on
#   Machine Learning (ICML 2008)*, 408–415.
# - LeCun, Y., Bottou, L., Bengio, Y., Haffner, P. (1998). Gradient-based learning applied to document
#   recognition. *Proceedings of the IEEE* 86(11), 2278–2324 (the MNIST digits).
# - Rakhlin, A., Shamir, O., Sridharan, K. (2012). Making gradient descent optimal for strongly convex
#   stochastic optimization. *Proceedings of the 29th International Conference on Machine Learning
#   (ICML 2012)*, 449–456. Extended version: arXiv:1109.5647.
# - Shalev-Shwartz, S., Singer, Y., Srebro, N., Cotter, A. (2011). Pegasos: primal estimated sub-gradient
#   solver for SVM. *Mathematical Programming* 127(1), 3–30.
# - Shamir, O., Zhang, T. (2013). Stochastic gradient descent for non-smooth optimization: convergence
#   results and optimal averaging schemes. *Proceedings of the 30th International Conference on Machine
#   Learning (ICML 2013)*, PMLR 28(1), 71–79.
# - Zinkevich, M. (2003). Online convex programming and generalized infinitesimal gradient ascent.
#   *Proceedings of the 20th International Conference on Machine Learning (ICML 2003)*, 928–936.
