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
# # Optimizers: from SGD to Adam, AMSGrad and beyond
#
# Every network of this course — the denoisers, the deblurring networks, the unrolled
# reconstruction methods — is trained by a first-order method: compute the gradient of the loss on
# a mini-batch, turn it into a step, repeat. Which rule turns gradients into steps decides how fast
# training goes, whether it is stable at all, and, it is argued, which of the many minimisers of the
# training loss we end up in. This chapter builds the common optimizers from **one framework**,
# checks each against its `torch.optim` counterpart, and looks at what they do on small problems
# where we can watch every step.
#
# **In this chapter you will**
# - state the generic framework "first moment over square root of second moment" and read SGD,
#   momentum, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, Nadam and AMSGrad as instances of it;
# - implement all nine as `torch.optim.Optimizer` subclasses that share one `step`
#   (`course_lib.optim`), and match `torch.optim` to round-off, naming every convention where the
#   two differ;
# - prove that Nesterov's method in the form of Sutskever et al. and PyTorch's form are the same
#   algorithm up to a change of variable;
# - watch trajectories on an ill-conditioned quadratic, the Rosenbrock function, a saddle and a
#   plateau (with an interactive widget);
# - reproduce the counterexample of Reddi, Kale & Kumar in which Adam converges to the *worst*
#   point while AMSGrad finds the optimum — and see that Adam's default settings avoid it;
# - train the same small CNN on MNIST with each optimizer, with learning rates fixed on training
#   data only, and discuss generalisation, switching from Adam to SGD, and AdaBound.
#
# The chapter started from a student's reading notes on optimizers (written as part of a report on
# DeblurGAN {cite:p}`kupyn2018deblurgan`, a deblurring network trained with Adam). The notes have
# the right overall picture and several slips; where the course corrects one, the text says so.

# %% tags=["imports"]
import inspect
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

import course_lib
import course_lib.checks.ch03
from course_lib import by_profile, checks, data, optim, plotting, results, training
from course_lib.models import mnist_cnn

# %%
profile = course_lib.setup_notebook("03_optimizers")

# %% [markdown]
# ## 1. Why the optimizer matters
#
# Training a denoiser $D_\theta$ means minimising an empirical risk such as
# $L(\theta)=\frac1N\sum_{i=1}^N\|D_\theta(y_i)-x_i\|^2$ over millions of weights $\theta$. Its
# gradient is too expensive to compute on all $N$ pairs at every step, so we use the gradient
# $g_t$ of the loss on a random mini-batch: an unbiased but noisy estimate of $\nabla L(\theta_t)$.
# Plain stochastic gradient descent, $\theta_{t+1}=\theta_t-\alpha g_t$, has three well-known
# weaknesses:
#
# 1. **Ill-conditioning.** When the curvature differs a lot between directions, a step size small
#    enough for the steep directions is far too small for the flat ones: the iterates zig-zag
#    across a valley and crawl along it.
# 2. **One step size for all coordinates.** The weights of a network live on very different scales
#    (first-layer filters, biases, the last linear layer) and receive gradients of very different
#    sizes.
# 3. **Noise.** Each $g_t$ is noisy; averaging over steps reduces the noise but also delays the
#    reaction to a changing landscape.
#
# *Momentum* methods address 1 and 3 by averaging gradients over time (a first moment); *adaptive*
# methods address 2 by dividing each coordinate by a running estimate of its gradient's size (a
# second moment). Adam does both, and it is the default choice in most image-restoration papers. Yet
# it has a flaw that a three-line example exposes (Section 7), and whether adaptive methods
# generalise as well as SGD has been debated ever since (Section 9).

# %% [markdown]
# ## 2. One framework for all first-order optimizers
#
# {cite:t}`reddi2018convergence` (their Algorithm 1) write every method of this chapter in one form;
# the student notes use the same form.
#
# ```{prf:definition} Generic first-order method with moments
# :label: def-03-framework
#
# Let $f_t$ be the loss at step $t=1,2,\dots$ (a mini-batch loss, or an online loss), $\theta_1$ a
# starting point and $\alpha_t>0$ step sizes. A *generic adaptive method* is given by two families of
# functions, the **first moment** $\varphi_t$ and the **second moment** $\psi_t$, and repeats
#
# 1. $g_t=\nabla f_t(\theta_t)$ (or the gradient at a look-ahead point, see Nesterov);
# 2. $m_t=\varphi_t(g_1,\dots,g_t)\in\mathbb{R}^d$ and $V_t=\psi_t(g_1,\dots,g_t)\in\mathbb{R}^d_{\ge0}$;
# 3. $\theta_{t+1}=\theta_t-\alpha_t\, m_t\big/\big(\sqrt{V_t}+\varepsilon\big)$, coordinate-wise.
#
# $V_t\equiv1$ (and $\varepsilon=0$) gives the non-adaptive methods. In practice $m_t$ and $V_t$ are
# computed recursively from a few stored vectors (the optimizer *state*), not from the whole
# history; $\varepsilon\ge0$ is a small constant that keeps the division finite (Reddi et al. omit
# it, PyTorch adds it outside the square root).
# ```
#
# The nine methods of the chapter, with the conventions PyTorch uses ($b_0=0$, $\mu,\beta_1,\beta_2,
# \rho\in[0,1)$; squares, square roots and divisions act coordinate-wise):
#
# | method | first moment $m_t$ | second moment $V_t$ |
# |:---|:---|:---|
# | SGD | $g_t$ | $1$ |
# | momentum {cite:p}`polyak1964some` | $b_t=\mu b_{t-1}+g_t$ | $1$ |
# | Nesterov {cite:p}`nesterov1983method,sutskever2013importance` | $b_t=\mu b_{t-1}+g_t$, with $g_t$ taken at $\theta_t-\alpha\mu b_{t-1}$ | $1$ |
# | AdaGrad {cite:p}`duchi2011adaptive` | $g_t$ | $\sum_{s\le t} g_s^2$ |
# | RMSProp {cite:p}`tieleman2012rmsprop` | $g_t$ | $v_t=\beta_2 v_{t-1}+(1-\beta_2)g_t^2$ |
# | AdaDelta {cite:p}`zeiler2012adadelta` | $\sqrt{u_{t-1}+\varepsilon}\;g_t$ | $v_t+\varepsilon$ (ε inside the root) |
# | Adam {cite:p}`kingma2015adam` | $\hat m_t=m_t/(1-\beta_1^t)$ | $\hat v_t=v_t/(1-\beta_2^t)$ |
# | Nadam {cite:p}`dozat2016incorporating` | $\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}g_t+\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}m_t$ | $\hat v_t$ |
# | AMSGrad {cite:p}`reddi2018convergence` | $m_t$ | $\hat v_t=\max(\hat v_{t-1},v_t)$ |
#
# Here $m_t=\beta_1m_{t-1}+(1-\beta_1)g_t$ and $v_t=\beta_2v_{t-1}+(1-\beta_2)g_t^2$ are exponential
# moving averages with $m_0=v_0=0$; AdaDelta's $u_t=\rho u_{t-1}+(1-\rho)\Delta_t^2$ averages its own
# past updates $\Delta_t=m_t/\sqrt{V_t}$ (and uses $\rho$ for both averages); Nadam's $\mu_t$ is a
# momentum schedule (below).
#
# ```{prf:remark} Slips in the source notes, and conventions
# :label: rem-03-corrections
#
# The course corrects the following points of the student notes it started from.
# 1. **Nesterov's look-ahead misses a factor.** The notes take the gradient at
#    $w_t-\alpha\,m_{t-1}/\sqrt{V_{t-1}}$. With momentum, the step that is about to be taken is
#    $\alpha(\mu b_{t-1}+g_t)$, so the look-ahead point is $\theta_t-\alpha\mu b_{t-1}$: the momentum
#    part of the coming step, **with the factor $\mu$** (with the notes' averaged momentum,
#    $\theta_t-\alpha\beta_1 m_{t-1}$) {cite:p}`sutskever2013importance`.
# 2. **AdaDelta is not RMSProp.** The notes file them under one heading with the same formula. The
#    second moments agree, but AdaDelta's numerator is the running RMS of the past *updates*,
#    $\sqrt{u_{t-1}+\varepsilon}$, which makes the step carry the units of the parameters, and it
#    needs no learning rate {cite:p}`zeiler2012adadelta` (Section 5).
# 3. **Adam needs its bias correction.** The notes' Adam divides $m_t$ by $\sqrt{v_t}$. Kingma and Ba
#    divide by $1-\beta_1^t$ and $1-\beta_2^t$ because $m_0=v_0=0$ bias both averages towards zero;
#    without it the first steps are up to 6.6 times too long for the default $\beta$'s (Section 5).
# 4. **Nadam's formula is circular.** The notes take Nadam's gradient at
#    $w_t-\alpha m_{t-1}/\sqrt{V_t}$, but $V_t$ needs $g_t$. Dozat's Nadam takes the gradient at the
#    current point and puts the look-ahead into the first moment (the table above).
# 5. **AMSGrad does not feed the maximum back.** The notes write
#    $V_t=\max(\beta_2V_{t-1}+(1-\beta_2)g_t^2,\,V_{t-1})$, which restarts the average from the
#    maximum. In AMSGrad $v_t$ stays the ordinary exponential average of $g_t^2$ and only
#    $\hat v_t=\max(\hat v_{t-1},v_t)$ takes the maximum (Algorithm 2 of {cite:t}`reddi2018convergence`).
# 6. **The bound on the step size is AdaBound's.** The notes attribute "a lower bound for the
#    learning rate" to the paper on switching from Adam to SGD {cite:p}`keskar2017improving`. That
#    paper switches once, with an estimated SGD learning rate; the dynamic lower *and* upper bounds
#    are AdaBound {cite:p}`luo2019adaptive` (Section 9).
#
# Two **conventions** are not errors, but they change the numbers. The notes' momentum is the
# exponential average $m_t=\beta_1m_{t-1}+(1-\beta_1)g_t$; PyTorch's is the sum $b_t=\mu b_{t-1}+g_t$
# ("dampening" 0, first step $b_1=g_1$). Since $m_t=(1-\beta_1)b_t$, the notes' method with learning
# rate $\alpha$ is PyTorch's with learning rate $(1-\beta_1)\alpha$. And PyTorch's Nesterov is the
# reformulation of {cite:t}`bengio2013advances` (Section 4).
# ```

# %% [markdown]
# ## 3. The implementation: one shared step, nine sets of hooks
#
# `course_lib.optim.MomentOptimizer` is a `torch.optim.Optimizer` whose `step` is the framework of
# {prf:ref}`def-03-framework`. A method only says what its moments are, through the hooks
# `first_moment`, `second_moment`, `denominator` (for AdaDelta's $\sqrt{V_t+\varepsilon}$),
# `lookahead` (for Nesterov in Sutskever's form) and `after_update` (for AdaDelta's accumulator of
# updates). Here is the shared step and, as an example, Adam's hooks:

# %%
print(inspect.getsource(optim.MomentOptimizer.step))
print(inspect.getsource(optim.Adam.first_moment))
print(inspect.getsource(optim.Adam.second_moment))

# %% [markdown]
# Every class validates its hyperparameters (a negative learning rate or a $\beta$ outside $[0,1)$
# raises a `ValueError` that says which one), supports an optional L2 weight decay
# ($g_t\leftarrow g_t+\lambda\theta_t$) and exposes each convention as an option:
# `SGDMomentum(ema=True)` is the notes' averaged momentum, `Nesterov(lookahead=True)` is Sutskever's
# form, `Adam(bias_correction=False)` and `AMSGrad(bias_correction=False)` are the forms analysed by
# Reddi et al., `Nadam(momentum_decay=...)` is Dozat's schedule, and `AdaDelta(lr=1.0)` is Zeiler's
# method without a learning rate.
#
# **Do they compute what `torch.optim` computes?** We run each of our optimizers and its PyTorch
# counterpart from the same point of a random, non-quadratic problem (logistic regression with a
# quartic term, four alternating mini-batches) in float64 and record the largest coordinate
# difference between the two sequences of iterates. The pairs include the conventions: the notes'
# averaged momentum against PyTorch's momentum with learning rate $(1-\mu)\alpha$ (PyTorch's
# `dampening=1-μ` would not do: PyTorch never dampens the first step, and it refuses Nesterov with
# dampening altogether, so rescaling the learning rate is the way to match the notes), PyTorch's
# AMSGrad (which bias-corrects the running maximum) against `AMSGrad(bias_correction=True)`, and so
# on (`optim.TORCH_PAIRS`).

# %%
STEPS_TORCH = by_profile(ci=50, default=200, full=1000)
deviations = {name: optim.max_deviation_from_torch(ours, theirs, steps=STEPS_TORCH, seed=0)
              for name, (ours, theirs) in optim.TORCH_PAIRS.items()}
display(Markdown(plotting.comparison_table(
    [{"pair": name, "max |θ − θ_torch|": dev} for name, dev in deviations.items()],
    floatfmt=".1e")))
max_dev = max(deviations.values())
results.record("max_deviation_from_torch", max_dev, unit="parameter units",
               label=f"largest |theta_ours - theta_torch| over {len(deviations)} pairs, {STEPS_TORCH} steps, float64",
               claim="every optimizer matches its torch.optim counterpart to 1e-6")

# %%
assert max_dev < 1e-6, f"an optimizer deviates from torch.optim by {max_dev:.2e} (> 1e-6): {deviations}"
print(f"All {len(deviations)} pairs agree with torch.optim to {max_dev:.1e} over {STEPS_TORCH} steps.")

# %% [markdown]
# The differences are at round-off level, about $10^{-16}$; the Nadam pair differs at about
# $10^{-10}$ because PyTorch keeps the product $\prod_i\mu_i$ as a scalar tensor of the default
# precision (float32), where we keep a Python float. `tests/test_optim.py` runs the same comparison over 200 steps, plus the failure
# cases.
#
# ## 4. Momentum and Nesterov's look-ahead
#
# Heavy-ball momentum {cite:p}`polyak1964some` accumulates the gradients,
# $b_t=\mu b_{t-1}+g_t$, and steps along the accumulated direction, $\theta_{t+1}=\theta_t-\alpha b_t$.
# In a valley the components of successive gradients that point across the valley change sign and
# cancel in $b_t$, while the components along the valley add up: the effective step along a
# direction of constant gradient grows to $\alpha/(1-\mu)$, ten times $\alpha$ for $\mu=0.9$.
#
# Nesterov's accelerated gradient {cite:p}`nesterov1983method`, in the form that
# {cite:t}`sutskever2013importance` made popular for deep learning, takes the gradient not at
# $\theta_t$ but at the point the momentum is about to carry us to:
#
# $$
# g_t=\nabla f(\theta_t-\alpha\mu b_{t-1}),\qquad b_t=\mu b_{t-1}+g_t,\qquad \theta_{t+1}=\theta_t-\alpha b_t .
# $$
#
# (In Sutskever et al.'s notation the velocity is $v_t=-\alpha b_t$ and the look-ahead point is
# $\theta_t+\mu v_{t-1}$.) If the momentum is about to overshoot, the gradient at the look-ahead
# point already points back, and the step is corrected one step earlier than with heavy-ball
# momentum. The inconvenience is that the gradient is taken away from the stored parameters, so a
# framework would have to move the weights, run the forward and backward pass, and move them back
# (`Nesterov(lookahead=True)` does exactly this, with a closure). PyTorch instead implements the
# reformulation of {cite:t}`bengio2013advances`, which needs the gradient at the stored point only:
#
# $$
# \tilde g_t=\nabla f(\tilde\theta_t),\qquad \tilde b_t=\mu\tilde b_{t-1}+\tilde g_t,\qquad
# \tilde\theta_{t+1}=\tilde\theta_t-\alpha\,(\tilde g_t+\mu\tilde b_t).
# $$
#
# ```{prf:proposition} The two forms of Nesterov's method coincide
# :label: prop-03-nesterov
#
# Let $\alpha>0$ be **constant**, $\mu\in[0,1)$, $b_0=\tilde b_0=0$ and $\tilde\theta_1=\theta_1$. Then
# for every $t\ge1$
#
# $$
# \tilde b_t=b_t\qquad\text{and}\qquad \tilde\theta_t=\theta_t-\alpha\mu\, b_{t-1}.
# $$
#
# In words: the parameters stored by PyTorch's Nesterov are the look-ahead points of Sutskever's
# iteration, $\tilde\theta=\theta+\mu v$. The two sequences differ by $\alpha\mu b_{t-1}$, which
# tends to zero whenever the method converges, so both have the same limit points.
# ```
#
# ```{prf:proof}
# By induction on $t$. For $t=1$, $\tilde\theta_1=\theta_1=\theta_1-\alpha\mu b_0$. Assume
# $\tilde\theta_t=\theta_t-\alpha\mu b_{t-1}$ and $\tilde b_{t-1}=b_{t-1}$. Then
# $\tilde g_t=\nabla f(\tilde\theta_t)=\nabla f(\theta_t-\alpha\mu b_{t-1})=g_t$, hence
# $\tilde b_t=\mu\tilde b_{t-1}+\tilde g_t=\mu b_{t-1}+g_t=b_t$, and
#
# $$
# \tilde\theta_{t+1}=\tilde\theta_t-\alpha g_t-\alpha\mu b_t
# =\theta_t-\alpha(\mu b_{t-1}+g_t)-\alpha\mu b_t=\theta_t-\alpha b_t-\alpha\mu b_t=\theta_{t+1}-\alpha\mu b_t .
# $$
#
# The constant step size is used in the last equality: with a schedule $\alpha_t$, the same
# computation gives $\theta_{t+1}-\alpha_t\mu b_t$, whereas the look-ahead point of step $t+1$ is
# $\theta_{t+1}-\alpha_{t+1}\mu b_t$.
# ```
#
# We check the proposition numerically on the Rosenbrock function: Sutskever's form with a closure,
# PyTorch's form, and the change of variable.

# %%
def nesterov_paths(lookahead, steps=300, lr=4e-4, mu=0.9, schedule=None):
    """Iterates theta_t and buffers b_t of Nesterov on Rosenbrock (float64), optional lr schedule."""
    rosen = optim.LANDSCAPES["Rosenbrock"]
    theta = torch.tensor(rosen.start, dtype=torch.float64, requires_grad=True)
    opt = optim.Nesterov([theta], lr=lr, momentum=mu, lookahead=lookahead)
    thetas, buffers = [theta.detach().clone()], [torch.zeros(2, dtype=torch.float64)]

    def closure():
        opt.zero_grad()
        loss = rosen(theta[0], theta[1])
        loss.backward()
        return loss

    for t in range(1, steps + 1):
        if schedule is not None:
            opt.param_groups[0]["lr"] = schedule(t)
        opt.step(closure)
        thetas.append(theta.detach().clone())
        buffers.append(opt.state[theta]["momentum_buffer"].clone())
    return torch.stack(thetas), torch.stack(buffers)


LR_NAG, MU_NAG = 4e-4, 0.9
theta_s, b_s = nesterov_paths(lookahead=True, lr=LR_NAG, mu=MU_NAG)      # Sutskever et al.
theta_p, b_p = nesterov_paths(lookahead=False, lr=LR_NAG, mu=MU_NAG)     # Bengio et al. / PyTorch
# theta_p[t] should equal theta_s[t] - lr * mu * b_{t}, where b_s[t] is the buffer after t steps
change_of_variable_error = float((theta_p - (theta_s - LR_NAG * MU_NAG * b_s)).abs().max())
buffer_error = float((b_p - b_s).abs().max())
plain_difference = float((theta_p - theta_s).abs().max())

decay = lambda t: LR_NAG * 0.99 ** t  # noqa: E731 -- a step-size schedule breaks the equivalence
theta_s2, b_s2 = nesterov_paths(lookahead=True, lr=LR_NAG, mu=MU_NAG, schedule=decay)
theta_p2, _ = nesterov_paths(lookahead=False, lr=LR_NAG, mu=MU_NAG, schedule=decay)
# compare theta~_{t+1} with the look-ahead point theta_{t+1} - lr_{t+1} mu b_t of the next step
lr_used = torch.tensor([decay(t + 1) for t in range(len(theta_s2))], dtype=torch.float64)[:, None]
schedule_error = float((theta_p2 - (theta_s2 - lr_used * MU_NAG * b_s2)).abs().max())

print(f"max |theta~ - (theta - lr mu b)| = {change_of_variable_error:.1e}  (buffers differ by {buffer_error:.1e})")
print(f"max |theta~ - theta|             = {plain_difference:.1e}  (the two sequences themselves differ)")
print(f"with a decaying step size        : {schedule_error:.1e}  (the proposition needs a constant step)")
results.record("nesterov_change_of_variable_error", change_of_variable_error, unit="parameter units",
               label="max |theta_pytorch - (theta_sutskever - lr mu b)| on Rosenbrock, 300 steps",
               claim="the two Nesterov forms coincide under the change of variable (constant lr)")

# %%
assert change_of_variable_error < 1e-10 and buffer_error < 1e-10, \
    f"the change of variable does not hold: {change_of_variable_error:.2e}, buffers {buffer_error:.2e}"
assert plain_difference > 1e-4, "the two forms should differ before the change of variable"
assert schedule_error > 1e3 * change_of_variable_error, "with a schedule the identity should fail"
print("Nesterov (Sutskever) and Nesterov (PyTorch) coincide under theta~ = theta + mu v.")

# %% [markdown]
# ### Exercise: Nesterov's step
#
# ```{exercise} Nesterov's method in Sutskever's form
# :label: ex-03-nesterov
#
# Write `nesterov_step(theta, v, grad_fn, lr, mu)` that performs one step of Nesterov's method in
# the velocity form of Sutskever et al.: evaluate the gradient at the look-ahead point
# $\theta+\mu v$ with `grad_fn` (a function from a tensor to a tensor of the same shape), set
# $v'=\mu v-\alpha\,\nabla f(\theta+\mu v)$ and $\theta'=\theta+v'$, and return the pair
# `(theta_new, v_new)` of tensors. Mind where the seed notes put the look-ahead point
# ({prf:ref}`rem-03-corrections`).
# ```
#
# ```{solution-start} ex-03-nesterov
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 3.1: one step of Nesterov's method with the gradient at the look-ahead point theta + mu * v
def nesterov_step(theta, v, grad_fn, lr, mu):
    """Return (theta_new, v_new) with v_new = mu v - lr grad_fn(theta + mu v), theta_new = theta + v_new."""
    ### BEGIN SOLUTION
    v_new = mu * v - lr * grad_fn(theta + mu * v)
    return theta + v_new, v_new
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch03.check_nesterov_step(nesterov_step)

# %% [markdown]
# ## 5. Adaptive step sizes: AdaGrad, RMSProp, AdaDelta, Adam, Nadam, AMSGrad
#
# **AdaGrad** {cite:p}`duchi2011adaptive` divides each coordinate by the root of the *sum* of its
# squared gradients. Coordinates with rare or small gradients get large steps, frequent ones small
# steps — the original motivation was sparse features. Because the sum only grows, the effective
# step size $\alpha/\sqrt{V_t}$ decreases monotonically, roughly like $1/\sqrt t$: good for convex
# online problems (it is what the regret analysis wants), often too fast for deep networks.
#
# **RMSProp** {cite:p}`tieleman2012rmsprop` replaces the sum by an exponential moving average with
# decay $\beta_2$ (PyTorch calls it `alpha`), so that $V_t$ tracks the *recent* size of the
# gradients and the step size no longer dies out.
#
# **AdaDelta** {cite:p}`zeiler2012adadelta` starts from the same average but asks what units the step
# should have. With SGD the step $\alpha g$ has the units of a gradient, i.e. of (loss)/(parameter);
# with RMSProp or AdaGrad the ratio $g/\sqrt{V}$ has no units, and $\alpha$ carries them. A Newton step
# $H^{-1}g$ has the units of the parameter; Zeiler approximates $H^{-1}\approx\Delta\theta/g$ by the
# ratio of running RMS values and gets
#
# $$
# \Delta\theta_t=-\frac{\sqrt{u_{t-1}+\varepsilon}}{\sqrt{v_t+\varepsilon}}\,g_t,\qquad
# u_t=\rho u_{t-1}+(1-\rho)\Delta\theta_t^2,
# $$
#
# with no learning rate at all. (PyTorch's `Adadelta` multiplies this by `lr`, default 1.) The
# catch is $\varepsilon$: at $t=1$, $u_0=0$ and the step is about $\sqrt{\varepsilon/(1-\rho)}$ per
# coordinate — $3\cdot10^{-3}$ for the defaults $\varepsilon=10^{-6}$, $\rho=0.9$ — and it grows only as
# fast as past steps allow. On problems whose parameters are of order one this makes AdaDelta very
# slow to start (Section 6); $\varepsilon$ plays the role of a learning rate after all.
#
# **Adam** {cite:p}`kingma2015adam` combines momentum (an average $m_t$ of gradients) with RMSProp's
# $v_t$, and corrects both for their initialisation at zero. If the gradients $g_s$ are random with a
# constant mean $\mathbb{E}[g]$, then
#
# $$
# \mathbb{E}[m_t]=(1-\beta_1)\sum_{s=1}^t\beta_1^{t-s}\,\mathbb{E}[g]=(1-\beta_1^t)\,\mathbb{E}[g],
# $$
#
# and likewise $\mathbb{E}[v_t]=(1-\beta_2^t)\mathbb{E}[g^2]$: dividing by $1-\beta_1^t$ and $1-\beta_2^t$
# removes the bias. Without the correction (the seed notes' version) the ratio
# $m_t/\sqrt{v_t}$ for a constant gradient equals $(1-\beta_1^t)/\sqrt{1-\beta_2^t}$ instead of 1:
# $3.2$ at $t=1$ and a maximum of $6.6$ at $t=12$ for $\beta_1=0.9$, $\beta_2=0.999$.

# %%
t_axis = np.arange(1, 3001)
uncorrected = (1 - 0.9 ** t_axis) / np.sqrt(1 - 0.999 ** t_axis)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.semilogx(t_axis, uncorrected, label="without bias correction")
ax.semilogx(t_axis, np.ones_like(t_axis, dtype=float), "--", label="with bias correction (Adam)")
ax.set_xlabel("step t")
ax.set_ylabel("step length / lr")
ax.set_title("Adam's step for a constant gradient (β1 = 0.9, β2 = 0.999)")
ax.legend()
ax.grid(True, which="both", alpha=0.3)
plt.show()
print(f"largest uncorrected step: {uncorrected.max():.2f} lr at t = {t_axis[uncorrected.argmax()]}")

# %% [markdown]
# **Nadam** {cite:p}`dozat2016incorporating` brings Nesterov's idea into Adam. Nesterov's step uses
# the momentum *after* the current update; Dozat applies this to Adam's first moment: the numerator
# becomes $\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\,g_t+\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\,m_t$,
# a bias-corrected mix of the current gradient and the next step's momentum. The gradient is taken
# at the current point. Dozat also proposes a slowly warming momentum schedule; PyTorch uses
# $\mu_t=\beta_1\big(1-\tfrac12\,0.96^{\,t\psi}\big)$ with $\psi$ = `momentum_decay` $=0.004$, which
# `optim.Nadam` reproduces (`momentum_decay=None` gives the constant $\mu_t=\beta_1$).
#
# **AMSGrad** {cite:p}`reddi2018convergence` keeps the running maximum of Adam's second moment,
# $\hat v_t=\max(\hat v_{t-1},v_t)$, and divides by $\sqrt{\hat v_t}$. The effective step size
# $\alpha_t/\sqrt{\hat v_t}$ can then never grow, which is what Adam's convergence proof implicitly
# assumed and what Section 7 shows can fail. In the paper there is no bias correction; PyTorch's
# `Adam(amsgrad=True)` keeps the maximum of the *uncorrected* $v_t$ and divides it by
# $1-\beta_2^t$, together with Adam's correction of $m_t$ (`AMSGrad(bias_correction=True)`, our
# default, matches it).

# %% [markdown]
# ### Exercise: Adam's step
#
# ```{exercise} Adam with bias correction
# :label: ex-03-adam
#
# Write `adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)` that performs step number `t`
# ($t=1,2,\dots$) of Adam on tensors: update $m$ and $v$ with `grad`, correct them with
# $1-\beta_1^t$ and $1-\beta_2^t$, and return `(theta_new, m_new, v_new)` where
# $\theta_\text{new}=\theta-\alpha\,\hat m/(\sqrt{\hat v}+\varepsilon)$ and `m_new`, `v_new` are the
# **uncorrected** averages (the state kept for the next step). At $t=1$ from $m=v=0$, every
# coordinate of the step should have length `lr` (up to $\varepsilon$).
# ```
#
# ```{solution-start} ex-03-adam
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 3.2: one step of Adam with bias correction, returning (theta, m, v)
def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
    """Adam's step t (t >= 1); m and v in and out are the uncorrected moving averages."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch03.check_adam_step(adam_step)

# %% [markdown]
# ## 6. Trajectories on four 2-D test functions
#
# Four functions of two variables, each showing one difficulty (`optim.LANDSCAPES`):
#
# - an **ill-conditioned quadratic** $\frac12(x^2+25y^2)$ (condition number 25): SGD must keep
#   $\alpha<2/25$ for stability in $y$ and then crawls in $x$;
# - the **Rosenbrock function** $(1-x)^2+100(y-x^2)^2$: a curved, narrow valley with its minimum at
#   $(1,1)$;
# - a **saddle** $x^2+\frac14y^4-\frac12y^2$: minima at $(0,\pm1)$, a saddle point at the origin,
#   and a start at $y=10^{-6}$, almost on the saddle's stable direction;
# - a **plateau** $1-e^{-(x^2+y^2)}$ started far out, where the gradient is below $10^{-3}$.
#
# The learning rate of each method on each function was fixed by hand, once, to a value of the
# usual order for that method (the plain methods need $\alpha$ of the order of one over the
# curvature; the adaptive ones take steps of about $\alpha$ per coordinate). AdaDelta runs with its
# defaults. Every method starts at the black dot; the red star is a minimiser.

# %%
COLORS = dict(zip(optim.OPTIMIZERS, plt.cm.tab10.colors))
FAMILIES = {"SGD, momentum, Nesterov": ["SGD", "Momentum", "Nesterov"],
            "AdaGrad, RMSProp, AdaDelta": ["AdaGrad", "RMSProp", "AdaDelta"],
            "Adam, Nadam, AMSGrad": ["Adam", "Nadam", "AMSGrad"]}


def draw_landscape(ax, landscape, paths, title=None, legend=False):
    """Contours of a landscape and the given paths {name: array (n, 2)}."""
    xs = np.linspace(*landscape.xlim, 240)
    ys = np.linspace(*landscape.ylim, 240)
    X, Y = np.meshgrid(xs, ys)
    Z = landscape(X, Y)
    Z = np.log1p(Z - Z.min()) if landscape.log_levels else Z
    ax.contour(X, Y, Z, levels=25, colors="0.7", linewidths=0.6)
    for (name, path), style in zip(paths.items(), ["-", "--", ":"] * 3):  # styles keep overlapping paths visible
        ax.plot(path[:, 0], path[:, 1], style, lw=1.6, color=COLORS[name], label=name)
    ax.plot(*landscape.start, "ko", ms=5)
    ax.plot(*landscape.minimum, "r*", ms=12)
    ax.set_xlim(landscape.xlim)
    ax.set_ylim(landscape.ylim)
    ax.set_title(title or landscape.name, fontsize=10)
    if legend:
        ax.legend(fontsize=8, loc="best")


paths = {ln: {name: optim.trajectory(name, land) for name in optim.OPTIMIZERS}
         for ln, land in optim.LANDSCAPES.items()}
fig, axes = plt.subplots(len(optim.LANDSCAPES), len(FAMILIES), figsize=(12, 14))
for row, (ln, land) in zip(axes, optim.LANDSCAPES.items()):
    for ax, (family, names) in zip(row, FAMILIES.items()):
        draw_landscape(ax, land, {name: paths[ln][name] for name in names},
                       title=f"{ln}, {land.steps} steps", legend=True)
fig.suptitle("Nine optimizers on four test functions (black dot: start, red star: minimiser)", y=1.0)
fig.tight_layout()
plt.show()

# %%
distance = {ln: {name: float(np.linalg.norm(p[-1] - np.array(optim.LANDSCAPES[ln].minimum)))
                 for name, p in by_name.items()} for ln, by_name in paths.items()}
display(Markdown("Distance of the last iterate to the minimiser:\n\n" + plotting.comparison_table(
    [{"optimizer": name, **{ln: distance[ln][name] for ln in paths}} for name in optim.OPTIMIZERS],
    floatfmt=".1e")))

# %% [markdown]
# What the figure and the table show:
#
# - On the **quadratic**, SGD's step is limited by the steep $y$ direction: with $\alpha$ just below
#   the stability limit $2/25$ it zig-zags across the valley and then converges at the rate
#   $1-\alpha$ along $x$. Momentum with the usual $\mu=0.9$ overshoots across the valley and its
#   oscillations decay only like $\mu^{t/2}$; on this mildly ill-conditioned problem it does not beat
#   SGD within 80 steps. (The classical tuning for condition number $\kappa=25$ is
#   $\mu=\big((\sqrt\kappa-1)/(\sqrt\kappa+1)\big)^2=4/9$ and $\alpha=4/(\sqrt{25}+1)^2=1/9$, with a
#   contraction factor $2/3$ per step instead of SGD's $12/13$ — try it in the widget below.) The
#   adaptive methods first head straight for the minimum, because a per-coordinate rescaling undoes
#   an ill-conditioning *aligned with the axes* (a rotated valley would not be fixed); then they
#   hover at a distance set by $\alpha$, since their steps have length about $\alpha$ whatever the size
#   of the gradient. Converging exactly needs a decaying $\alpha$ — AdaGrad, whose effective step
#   size decays by itself, gets closest.
# - On **Rosenbrock** nobody reaches $(1,1)$ within 400 steps; momentum methods travel furthest along
#   the curved valley.
# - At the **saddle** the $y$-gradient starts at $10^{-6}$. SGD multiplies $y$ by about $1+\alpha$ per
#   step and is still near the saddle after 200 steps; the adaptive methods divide by the size of
#   that tiny gradient and leave at once.
# - On the **plateau** the gradient is below $10^{-3}$: SGD and the momentum methods barely move,
#   the adaptive methods move at their usual speed of about $\alpha$ per step.
# - **AdaDelta** is the slowest to start everywhere: its first steps have length about
#   $\sqrt{\varepsilon/(1-\rho)}\approx3\cdot10^{-3}$ per coordinate (Section 5) and grow only as fast as
#   its own past steps allow. At the saddle it does leave along $y$, but it stays far from the
#   minimiser on the other three functions.

# %%
plateau, saddle = distance["plateau"], paths["saddle"]
adaptive = ["AdaGrad", "RMSProp", "Adam", "Nadam", "AMSGrad"]
assert all(plateau[name] < 0.01 for name in adaptive), f"adaptive methods should cross the plateau: {plateau}"
assert all(plateau[name] > 2.0 for name in ["SGD", "Momentum", "Nesterov"]), \
    f"SGD and momentum should be stuck on the plateau: {plateau}"
assert all(abs(saddle[name][-1, 1] - 1) < 0.01 for name in adaptive), "adaptive methods should escape the saddle"
assert abs(saddle["SGD"][-1, 1]) < 0.1, "SGD should still be close to the saddle"
results.record("plateau_distance_adam", plateau["Adam"], unit="distance",
               label="distance to the minimiser after 200 Adam steps on the plateau")
results.record("plateau_distance_sgd", plateau["SGD"], unit="distance",
               label="distance to the minimiser after 200 SGD steps on the plateau",
               claim="adaptive methods cross the plateau, SGD does not")
print("On the plateau and at the saddle the adaptive methods escape, SGD does not.")

# %% [markdown]
# ### Explore
#
# Choose a function, an optimizer and a learning rate (as a multiple of the value used above) —
# and, for momentum and Nesterov, the momentum $\mu$ — and watch the path. (For the quadratic, try
# momentum with lr × 10 and $\mu=0.44$.) Press **Draw** for the first picture; after that every
# change of a control redraws it. The widget needs a running kernel (JupyterLab or Jupyter
# Notebook); in the static book only the figure above is shown. (Nothing is drawn into the widget
# while the notebook runs unattended: the drawing only starts on a click or a change.)

# %%
def explore(function="Rosenbrock", optimizer="Adam", lr_factor=1.0, momentum=0.9, steps=200):
    """Draw the path of one optimizer on one landscape (momentum is used by Momentum and Nesterov only)."""
    land = optim.LANDSCAPES[function]
    lr = land.lr[optimizer] * lr_factor
    extra = {"momentum": momentum} if optimizer in ("Momentum", "Nesterov") else {}
    path = optim.trajectory(optimizer, land, lr=lr, steps=steps, **extra)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    value = float(land(*path[-1]))
    setting = f"lr = {lr:.3g}" + (f", μ = {momentum:.2f}" if extra else "")
    draw_landscape(ax, land, {optimizer: path}, title=f"{optimizer} on {function}: {setting}, "
                   f"{len(path) - 1} steps, f = {value:.3g}")
    plt.show()


controls = {
    "function": widgets.Dropdown(options=list(optim.LANDSCAPES), value="Rosenbrock", description="function"),
    "optimizer": widgets.Dropdown(options=list(optim.OPTIMIZERS), value="Adam", description="optimizer"),
    "lr_factor": widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1.5, step=0.25, continuous_update=False,
                                        description="lr × default"),
    "momentum": widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, continuous_update=False,
                                    description="μ (momentum)"),
    "steps": widgets.IntSlider(value=200, min=10, max=1000, step=10, continuous_update=False, description="steps"),
}
draw_button = widgets.Button(description="Draw", button_style="primary")
canvas = widgets.Output()


def redraw(_=None):
    """Redraw the path for the current values of the controls (runs only when a control changes)."""
    with canvas:
        canvas.clear_output(wait=True)
        explore(**{name: control.value for name, control in controls.items()})


for control in controls.values():
    control.observe(redraw, names="value")
draw_button.on_click(redraw)
display(widgets.VBox([widgets.HBox([controls["function"], controls["optimizer"], draw_button]),
                      widgets.HBox([controls["lr_factor"], controls["momentum"], controls["steps"]]), canvas]))

# %% [markdown]
# ## 7. Adam does not always converge: the counterexample of Reddi, Kale and Kumar
#
# Adam's original convergence proof {cite:p}`kingma2015adam` contains a gap: it needs the quantity
# $\Gamma_t=\sqrt{V_{t+1}}/\alpha_{t+1}-\sqrt{V_t}/\alpha_t$ to be non-negative, i.e. the effective
# step size $\alpha_t/\sqrt{V_t}$ never to increase. That holds for SGD and AdaGrad, but not for
# exponential moving averages: after a large gradient the average forgets it and the step grows
# again. {cite:t}`reddi2018convergence` turn this into a counterexample in the **online**
# setting: at each step $t$ an adversary reveals a convex loss $f_t$ on a convex set
# $\mathcal F$, the method plays $x_t\in\mathcal F$ and pays $f_t(x_t)$; the quality measure is the
# regret $R_T=\sum_{t\le T}f_t(x_t)-\min_{x\in\mathcal F}\sum_{t\le T}f_t(x)$, and a method converges
# when $R_T/T\to0$. The update is projected back onto $\mathcal F$ after every step.
#
# ```{prf:theorem} Adam converges to the worst point (Reddi, Kale & Kumar 2018, Section 3)
# :label: thm-03-reddi
#
# Let $\mathcal F=[-1,1]$, $C>2$, and
#
# $$
# f_t(x)=\begin{cases} C\,x & t \bmod 3 = 1,\\ -x & \text{otherwise},\end{cases}
# $$
#
# so that $\sum_{t\le 3k}f_t(x)=k(C-2)\,x$ is minimised at $x=-1$. Run Adam without bias correction
# and without $\varepsilon$, with $\beta_1=0$, $\beta_2=1/(1+C^2)$, step sizes $\alpha_t=\alpha/\sqrt t$ with
# $\alpha>0$, and the projection $x_{t+1}=\min(1,\max(-1,\,x_t-\alpha_t g_t/\sqrt{v_t}))$, from any
# $x_1\in[-1,1]$. Then $x_t\to+1$, the **maximiser** of the average loss, and
# $R_T/T\to\tfrac23(C-2)>0$.
# ```
#
# (The paper states the example with $\alpha<\sqrt{1-\beta_2}$ and proves more: for every
# $\beta_1<\sqrt{\beta_2}$ there is such an example. The argument below is ours; it works for every
# $\alpha>0$ and every start.)
#
# ```{prf:proof}
# With $\beta_1=0$ the first moment is $g_t$ itself. Write $v_t=\beta_2v_{t-1}+(1-\beta_2)g_t^2$, $v_0=0$;
# $v_t$ is a weighted mean of past $g_s^2\in\{1,C^2\}$ with weights summing to at most 1, so
# $v_t\le C^2$ for all $t$. Consider one cycle of three steps $t=3k+1,3k+2,3k+3$ ($k\ge0$).
#
# *The step with the large gradient.* At $t=3k+1$, $g_t=C$ and
# $v_t\ge(1-\beta_2)C^2=C^4/(1+C^2)$, so the move to the left has length at most
# $\alpha_t C/\sqrt{v_t}\le\alpha_t\sqrt{1+C^2}/C=\alpha_t\sqrt{1+1/C^2}$.
#
# *The two steps with gradient $-1$.* At $t=3k+2$, $v_t=\beta_2v_{t-1}+(1-\beta_2)\le\beta_2C^2+1-\beta_2
# =2C^2/(1+C^2)<2$, and at $t=3k+3$, $v_t\le\beta_2\cdot2+(1-\beta_2)<2$. Each of the two moves to the
# right therefore has length more than $\alpha_t/\sqrt2$.
#
# *One cycle.* Since $\alpha_t$ decreases, the cycle moves $x$ to the right by at least
# $\delta_k=\sqrt2\,\alpha_{3k+3}-\sqrt{1+1/C^2}\,\alpha_{3k+1}$, unless the projection stops it at 1:
# clipping at $-1$ after the first step only helps, and clipping at $+1$ leaves $x=1$. Hence
# $x_{3k+4}\ge\min\big(1,\,x_{3k+1}+\delta_k\big)$. Now
# $\delta_k=\frac{\alpha}{\sqrt{3k+1}}\big(\sqrt2\sqrt{\tfrac{3k+1}{3k+3}}-\sqrt{1+1/C^2}\big)$ and, because
# $C>2$, $\sqrt{1+1/C^2}<\sqrt{5/4}<\sqrt2$; so $\delta_k>0$ for all $k$ beyond some $k_0$ (for $C=3$,
# from $k=1$ on) and $\sum_k\delta_k=\infty$. Therefore $x_{3k+1}$ reaches 1 after finitely many
# cycles and stays there, and within a cycle $x_t\ge1-\alpha_t\sqrt{1+1/C^2}\to1$.
#
# *Regret.* Over a cycle the loss paid tends to $(C-2)\cdot1$, while the best fixed point $x=-1$ pays
# $-(C-2)$; so $R_T/T\to2(C-2)/3$.
# ```
#
# The reason is visible in the proof: the informative gradient $C$ comes once every three steps and
# is divided by about $C$, because $v_t$ has just seen it; the two misleading gradients $-1$ arrive
# when $\beta_2=1/(1+C^2)$ has already forgotten most of it, and are divided by about 1. AMSGrad's
# maximum remembers the large gradient: with $\hat v_t\ge(1-\beta_2)C^2$ for all later steps, the two
# misleading steps shrink by a factor of about $C$ too, and the net move per cycle is to the left.
# Reddi et al. prove that AMSGrad's regret grows like $\sqrt T$ under their assumptions
# (their Theorem 4), so $R_T/T\to0$.
#
# We run exactly this setting with `optim.Adam(bias_correction=False, betas=(0, 1/(1+C²)), eps=0)`
# and `optim.AMSGrad(...)` with the same settings, $C=3$, $\alpha=0.5$ (which satisfies
# $\alpha<\sqrt{1-\beta_2}\approx0.95$), the projection after every step, and three starting points
# including the optimum $x_1=-1$. A third run uses Adam as everybody uses it — $\beta_1=0.9$,
# $\beta_2=0.999$, bias correction, $\varepsilon=10^{-8}$ — on the same losses.

# %%
C_REDDI, ALPHA_REDDI = 3.0, 0.5
T_REDDI = by_profile(ci=1500, default=3000, full=30_000)
STARTS = (-1.0, 0.0, 1.0)
runs = {
    "Adam, β1 = 0, β2 = 1/(1+C²)": {x0: optim.reddi_online("Adam", steps=T_REDDI, C=C_REDDI, alpha=ALPHA_REDDI, x0=x0)
                                    for x0 in STARTS},
    "AMSGrad, β1 = 0, β2 = 1/(1+C²)": {x0: optim.reddi_online("AMSGrad", steps=T_REDDI, C=C_REDDI,
                                                             alpha=ALPHA_REDDI, x0=x0) for x0 in STARTS},
    "Adam, default β = (0.9, 0.999)": {x0: optim.reddi_online("Adam", steps=T_REDDI, C=C_REDDI, alpha=ALPHA_REDDI,
                                                              x0=x0, betas=(0.9, 0.999), bias_correction=True,
                                                              eps=1e-8) for x0 in STARTS},
}
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
for ax, (title, by_start) in zip(axes, runs.items()):
    for x0, xs in by_start.items():
        ax.semilogx(np.arange(1, len(xs) + 1), xs, lw=1, label=f"x₁ = {x0:g}")
    ax.axhline(-1, color="green", ls="--", lw=1)
    ax.axhline(1, color="red", ls=":", lw=1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("t")
axes[0].set_ylabel("x_t  (optimum −1, dashed)")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
(adam_runs, ams_runs, default_runs) = runs.values()
adam_end = {x0: float(xs[-1]) for x0, xs in adam_runs.items()}
ams_end = {x0: float(xs[-1]) for x0, xs in ams_runs.items()}
default_end = {x0: float(xs[-1]) for x0, xs in default_runs.items()}
regret = {title: optim.average_regret(by_start[0.0][:-1], C_REDDI) for title, by_start in runs.items()}
for title, value in regret.items():
    print(f"{title:34s} average regret R_T/T = {value:+.3f}   (Adam's limit 2(C-2)/3 = {2 * (C_REDDI - 2) / 3:.3f})")
print("final x_T:", {"Adam": adam_end, "AMSGrad": ams_end, "Adam (defaults)": default_end})
results.record("reddi_adam_final_x", adam_end[0.0], unit="x", label=f"Adam (beta1=0, beta2=1/(1+C^2)), x_T from x_1=0, T={T_REDDI}",
               claim="Adam ends near +1, the worst point")
results.record("reddi_amsgrad_final_x", ams_end[0.0], unit="x", label=f"AMSGrad, same setting, x_T from x_1=0, T={T_REDDI}",
               claim="AMSGrad ends near -1, the optimum")
results.record("reddi_adam_default_betas_final_x", default_end[0.0], unit="x",
               label="Adam with beta=(0.9, 0.999), bias correction, eps=1e-8", claim="with default betas Adam converges here")
results.record("reddi_adam_average_regret", list(regret.values())[0], unit="loss per step",
               label="average regret R_T/T of Adam in the counterexample")

# %%
assert all(x > 0.95 for x in adam_end.values()), f"Adam should end near +1 from every start: {adam_end}"
assert all(x < -0.95 for x in ams_end.values()), f"AMSGrad should end near -1 from every start: {ams_end}"
assert all(x < -0.95 for x in default_end.values()), f"Adam with default betas should end near -1: {default_end}"
assert list(regret.values())[0] > 0.5 and abs(list(regret.values())[1]) < 0.1, f"regrets: {regret}"
print("Adam goes to the worst point +1 (even from the optimum), AMSGrad to the optimum -1; "
      "Adam's default betas converge.")

# %% [markdown]
# Adam started *at the optimum* walks away to the worst point, as the theorem says. With the default
# $\beta_2=0.999$ the second moment remembers the large gradient for about a thousand steps, the
# effective step sizes of the three losses stay in the right proportion, and Adam converges: the
# counterexample needs $\beta_2$ small compared with the period of the large gradients. This is not
# a reason for complacency — Reddi et al. show that *for every* $\beta_1<\sqrt{\beta_2}$ a
# counterexample exists (with rarer, larger gradients), and that even a stochastic one exists
# (their Theorem 3).
#
# **Extension: the stochastic version.** In Theorem 3 the losses are random:
# $f_t(x)=Cx$ with probability $p=(1+\delta)/(C+1)$ and $-x$ otherwise, so that the *expected* loss
# $\mathbb{E}[f_t(x)]=\delta x$ is again minimised at $x=-1$. The theorem chooses $C$ large in terms of
# $\beta_1,\beta_2$ and $\delta$; with the settings above, $C=3$ and $\delta=0.3$ already show the
# effect (an illustration, not the theorem's constants):

# %%
T_STOCH = by_profile(ci=1500, default=3000, full=30_000)
stoch = {name: [optim.reddi_online(name, steps=T_STOCH, C=C_REDDI, alpha=ALPHA_REDDI, x0=0.0, stochastic=True,
                                   delta=0.3, seed=seed) for seed in range(3)] for name in ("Adam", "AMSGrad")}
stoch_mean = {name: float(np.mean([xs[-T_STOCH // 10:].mean() for xs in runs_])) for name, runs_ in stoch.items()}
print("mean of x_t over the last 10% of the steps, 3 seeds:", {k: round(v, 3) for k, v in stoch_mean.items()})
assert stoch_mean["Adam"] > 0.5 > -0.5 > stoch_mean["AMSGrad"], f"stochastic version: {stoch_mean}"

# %% [markdown]
# ### Exercise: AMSGrad's maximum
#
# ```{exercise} One step of AMSGrad
# :label: ex-03-amsgrad
#
# Write `amsgrad_step(theta, grad, m, v, vhat, lr, beta1, beta2, eps)` implementing one step of
# AMSGrad as in {cite:t}`reddi2018convergence` (no bias correction; `lr` is the step size
# $\alpha_t$ of this step): update $m$ and the **ordinary** average $v$ with `grad`, set
# $\hat v\leftarrow\max(\hat v,v)$ coordinate-wise, step with $\theta-\alpha\,m/(\sqrt{\hat v}+\varepsilon)$,
# and return `(theta_new, m_new, v_new, vhat_new)`. Do not repeat the slip of the notes
# ({prf:ref}`rem-03-corrections`, item 5).
# ```
#
# ```{solution-start} ex-03-amsgrad
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 3.3: one step of AMSGrad (Reddi et al., no bias correction), returning (theta, m, v, vhat)
def amsgrad_step(theta, grad, m, v, vhat, lr, beta1, beta2, eps):
    """v is the ordinary exponential average; vhat its running maximum; the step divides by sqrt(vhat)."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    vhat = torch.maximum(vhat, v)
    return theta - lr * m / (vhat.sqrt() + eps), m, v, vhat
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch03.check_amsgrad_step(amsgrad_step)

# %% [markdown]
# ## 8. The same CNN on MNIST with every optimizer
#
# Toy problems show mechanisms; do the differences matter for a real network? We train the small
# convolutional classifier `course_lib.models.mnist_cnn.MnistCNN` (two 3×3 convolutions with 8 and
# 16 channels, max-pooling, a hidden layer of 32 units; 26,698 weights) on the course's 8,000
# training digits with each of the nine optimizers: same initial weights, same sequence of
# mini-batches of 64 images, same number of steps, cross-entropy loss. The 2,000 evaluation digits
# are used **once per optimizer, at the end**, to report held-out accuracy.
#
# **How the learning rates are fixed.** Every hyperparameter is fixed on training data only:
#
# - the starting values are standard defaults: PyTorch's where it has one (AdaGrad $10^{-2}$,
#   AdaDelta 1, Adam and AMSGrad $10^{-3}$, Nadam $2\cdot10^{-3}$), RMSProp $10^{-3}$ (Keras's default;
#   PyTorch's is $10^{-2}$), and for SGD, which has no default, $\alpha=0.1$, with $\alpha=0.01$ for
#   momentum and Nesterov ($\mu=0.9$) so that the long-run step $\alpha/(1-\mu)$ is the same 0.1;
# - in the `default` and `full` profiles each method then gets a small sweep: the training set is
#   split once into 6,400 images to train on and 1,600 to validate on, every candidate learning
#   rate (the default times $\frac13,1,3,10$; in `full` also $\frac1{10}$) is trained for a short
#   run, and the best validation accuracy wins; a run that diverges scores zero. In the `ci` profile
#   there is no sweep: the defaults are used as they are. If the final, longer run diverges with the
#   chosen value, the next best candidate of the sweep is used (the table says so).

# %%
x_train, y_train = data.mnist("train")
x_eval, y_eval = data.mnist("eval")
BATCH = 64
TRAIN_STEPS = by_profile(ci=200, default=800, full=4000)
SWEEP_STEPS = by_profile(ci=0, default=120, full=600)
SWEEP_FACTORS = by_profile(ci=(), default=(1 / 3, 1.0, 3.0, 10.0), full=(0.1, 1 / 3, 1.0, 3.0, 10.0))
DEFAULT_LR = {"SGD": 0.1, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.01, "RMSProp": 1e-3,
              "AdaDelta": 1.0, "Adam": 1e-3, "Nadam": 2e-3, "AMSGrad": 1e-3}
print(f"train {tuple(x_train.shape)}, eval {tuple(x_eval.shape)}; {TRAIN_STEPS} steps of batch {BATCH}; "
      f"sweep: {len(SWEEP_FACTORS)} candidates x {SWEEP_STEPS} steps")
print(f"MnistCNN: {mnist_cnn.count_parameters(mnist_cnn.build_mnist_cnn(0))} weights")


def train_cnn(name, lr, images, labels, steps, seed=0):
    """Train a fresh MnistCNN (weights from `seed`) with optimizer `name`; the batches depend only on `seed`."""
    model = mnist_cnn.build_mnist_cnn(seed)
    order = torch.randint(0, len(images), (steps, BATCH), generator=torch.Generator().manual_seed(seed + 1))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # this network is too small to gain from two threads, and one thread copes with a busy machine
    try:
        history = training.fit(model, mnist_cnn.cross_entropy_loss,
                               lambda step: (images[order[step]], labels[order[step]]), steps=steps,
                               optimizer=optim.make_optimizer(name, model.parameters(), lr=lr),
                               log_every=10, progress=False, desc=name)
    finally:
        torch.set_num_threads(threads)
    return model, history


# %%
candidates, lr_source, sweep_rows = {n: [lr] for n, lr in DEFAULT_LR.items()}, {n: "default" for n in DEFAULT_LR}, []
if SWEEP_FACTORS:
    perm = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(2))
    fit_idx, val_idx = perm[:6400], perm[6400:]
    for name, lr0 in DEFAULT_LR.items():
        scores = {}
        for factor in SWEEP_FACTORS:
            try:
                model, _ = train_cnn(name, lr0 * factor, x_train[fit_idx], y_train[fit_idx], SWEEP_STEPS)
                scores[lr0 * factor] = mnist_cnn.accuracy(model, x_train[val_idx], y_train[val_idx])
            except training.NonFiniteLossError:
                scores[lr0 * factor] = 0.0  # diverged
        candidates[name] = sorted(scores, key=scores.get, reverse=True)  # best validation accuracy first
        lr_source[name] = "sweep on training data"
        sweep_rows.append({"optimizer": name, **{f"lr × {f:.3g}": scores[lr0 * f] for f in SWEEP_FACTORS},
                           "chosen lr": candidates[name][0]})
    display(Markdown("Validation accuracy (1,600 training images held out) of the sweep:\n\n"
                     + plotting.comparison_table(sweep_rows, floatfmt=".3f")))
else:
    print("ci profile: no sweep, the default learning rates are used.")

# %% [markdown]
# Short sweeps tend to favour large learning rates: a run of a hundred steps rewards fast initial
# progress, not the accuracy at the end of a longer run. When the chosen value sits at the edge of
# the grid, a wider grid would be the next step; the `full` profile uses a wider grid and longer
# sweeps.

# %%
histories, accuracy_rows, eval_acc = {}, [], {}
train_probe = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(3))[:2000]  # for train accuracy
chosen_lr = {}
for name in optim.OPTIMIZERS:
    for rank, lr in enumerate(candidates[name]):
        try:
            model, histories[name] = train_cnn(name, lr, x_train, y_train, TRAIN_STEPS)
        except training.NonFiniteLossError:
            print(f"{name}: lr {lr:.3g} diverged in the full run; trying the next candidate of the sweep")
            continue
        chosen_lr[name] = lr
        if rank > 0:
            lr_source[name] += f" (candidate {rank + 1}: the better ones diverged)"
        break
    else:
        raise RuntimeError(f"{name}: every candidate learning rate diverged")
    eval_acc[name] = mnist_cnn.accuracy(model, x_eval, y_eval)
    accuracy_rows.append({"optimizer": name, "lr": chosen_lr[name], "lr from": lr_source[name],
                          "final train loss": histories[name].final_loss,
                          "train accuracy*": mnist_cnn.accuracy(model, x_train[train_probe], y_train[train_probe]),
                          "held-out accuracy": eval_acc[name]})
    results.record(f"mnist_eval_accuracy_{name.lower()}", eval_acc[name], unit="fraction",
                   label=f"{name}: held-out accuracy on the 2,000 eval digits after {TRAIN_STEPS} steps (lr {chosen_lr[name]:.3g})")

fig, ax = plt.subplots(figsize=(8, 4.5))
plotting.loss_curves(histories, smooth=0.6, ax=ax, title=f"Training loss of the same CNN, {TRAIN_STEPS} steps")
plt.show()
display(Markdown(plotting.comparison_table(accuracy_rows, floatfmt={"lr": ".3g", "final train loss": ".3f",
                                                                     "train accuracy*": ".3f",
                                                                     "held-out accuracy": ".3f"})
                 + "\n\n\\* on a fixed subset of 2,000 of the 8,000 training images"))

# %%
worst_threshold = by_profile(ci=0.5, default=0.85, full=0.9)
best_threshold = by_profile(ci=0.8, default=0.96, full=0.97)
assert min(eval_acc.values()) > worst_threshold, f"every optimizer should exceed {worst_threshold}: {eval_acc}"
assert max(eval_acc.values()) > best_threshold, f"the best optimizer should exceed {best_threshold}: {eval_acc}"
assert all(h.losses[-1] < 0.5 * h.losses[0] for h in histories.values()), "every training loss should at least halve"
results.record("mnist_best_eval_accuracy", max(eval_acc.values()), unit="fraction",
               label="best held-out accuracy over the nine optimizers",
               claim=f"every optimizer exceeds {worst_threshold}, the best exceeds {best_threshold}")
print(f"held-out accuracy between {min(eval_acc.values()):.3f} and {max(eval_acc.values()):.3f}")

# %% [markdown]
# What to read from the table, and what not. All nine methods train this small network; the
# differences in held-out accuracy are a few percent at most, and with 2,000 evaluation images one
# percent is 20 digits, about two and a half binomial standard errors
# ($\sqrt{0.97\cdot0.03/2000}\approx0.4\%$). A single run per method is not enough to rank them, and
# the ranking changes with the budget (compare the `ci` and `default` profiles). It also depends on
# the tuning protocol: a learning rate chosen by a short run at the top of the grid can be too
# large for the longer final run (the *short-horizon bias* of cheap sweeps), and such a method then
# ends below the others for a reason that has little to do with the method. What is robust: the
# adaptive methods make fast progress in the first hundred steps with their default learning rates,
# plain SGD needs a good $\alpha$, and AdaDelta's "no learning rate" still depends on $\varepsilon$,
# $\rho$ and, in PyTorch's version, `lr` (its first steps of about $3\cdot10^{-3}$ per weight happen to
# suit the network's small initial weights). Adam and AMSGrad are hard to tell apart: on this problem
# the running maximum $\hat v_t$ rarely differs much from $v_t$.
#
# ## 9. Beyond Adam: generalisation, switching to SGD, bounded step sizes
#
# **Do adaptive methods generalise worse?** {cite:t}`wilson2017marginal` construct a linearly
# separable binary classification problem on which AdaGrad, RMSProp and Adam converge to a solution
# that misclassifies new points with probability close to one half, while gradient descent finds
# the minimum-norm solution, which generalises perfectly. On their example the adaptive methods'
# iterates stay proportional to the *sign* vector of the gradient, which gives the same weight to
# every feature — including the many features that occur in a single training example — whereas
# gradient descent stays in the span of the data. (The notes summarise this as "over-fitting the
# features that appear early", which is looser than the paper.) Wilson et al. also report that on
# image-classification and language-modelling benchmarks carefully tuned SGD with momentum reached
# better test accuracy than the adaptive methods. The claim concerns *which* minimiser is found, not
# the speed of training, and how large the gap is once every method is tuned with the same care
# remains debated.
#
# **Switching from Adam to SGD.** {cite:t}`keskar2017improving` (SWATS) start with Adam, for its fast
# initial progress, and switch once to SGD for the rest of training. At each Adam step they compute
# the SGD learning rate whose step, projected on Adam's step $p_k$, would have the same length,
# $\gamma_k=p_k^\top p_k/(-p_k^\top g_k)$, keep an exponential average of $\gamma_k$, and switch when
# the bias-corrected average has stabilised. There is no bound on the learning rate in this method:
# the seed notes attribute one to it, which is a mix-up with the next paper.
#
# **Bounding the step size: AdaBound.** {cite:t}`luo2019adaptive` observe that some coordinates of
# Adam's effective step size $\alpha/\sqrt{\hat v_t}$ become extremely large or extremely small late in
# training, and clip them into an interval that shrinks towards a final SGD learning rate $\alpha^\ast$:
#
# $$
# \eta_t=\operatorname{clip}\Big(\frac{\alpha}{\sqrt{\hat v_t}+\varepsilon},\ \eta_\ell(t),\ \eta_u(t)\Big),\qquad
# \eta_\ell(t)=\alpha^\ast\Big(1-\frac1{\gamma t+1}\Big),\quad \eta_u(t)=\alpha^\ast\Big(1+\frac1{\gamma t}\Big),
# $$
#
# and step $\theta_{t+1}=\theta_t-\eta_t\odot\hat m_t$. At $t=1$ the interval is
# $[\alpha^\ast\gamma/(1+\gamma),\,\alpha^\ast(1+1/\gamma)]$ — for $\gamma=10^{-3}$ essentially unconstrained, so
# AdaBound starts as Adam — and as $t\to\infty$ both bounds tend to $\alpha^\ast$, so it ends as SGD
# (with momentum). These bound functions are the ones of the authors' implementation; the paper's
# analysis additionally divides the step by $\sqrt t$ and allows other bound functions that
# converge to $\alpha^\ast$. The lower bound is what the notes describe; the upper bound matters as much.

# %% [markdown]
# ### Exercise: AdaBound's clipped step size
#
# ```{exercise} AdaBound's step size
# :label: ex-03-adabound
#
# Write `adabound_step_size(v_hat, t, lr, final_lr, gamma, eps)` that returns the tensor of
# per-coordinate step sizes $\operatorname{clip}\big(\alpha/(\sqrt{\hat v}+\varepsilon),\,\eta_\ell(t),\,\eta_u(t)\big)$
# for step $t\ge1$ with the bounds above ($\alpha$ = `lr`, $\alpha^\ast$ = `final_lr`). The result has
# the shape of `v_hat`. Clip the step size, not the learning rate.
# ```
#
# ```{solution-start} ex-03-adabound
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 3.4: AdaBound's per-coordinate step size, clipped between the dynamic bounds
def adabound_step_size(v_hat, t, lr, final_lr, gamma, eps):
    """clip(lr / (sqrt(v_hat) + eps), final_lr (1 - 1/(gamma t + 1)), final_lr (1 + 1/(gamma t)))."""
    ### BEGIN SOLUTION
    lower = final_lr * (1 - 1 / (gamma * t + 1))
    upper = final_lr * (1 + 1 / (gamma * t))
    return (lr / (v_hat.sqrt() + eps)).clamp(lower, upper)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch03.check_adabound_step_size(adabound_step_size)

# %% [markdown]
# ## Summary
#
# - All common first-order optimizers fit one framework ({prf:ref}`def-03-framework`): a first moment
#   $m_t$ over the square root of a second moment $V_t$, times a step size. `course_lib.optim`
#   implements nine of them with one shared `step` and matches `torch.optim` to round-off in float64,
#   once the conventions are named: PyTorch's undampened momentum sum versus the notes' average
#   (a factor $1-\mu$ in the learning rate), PyTorch's Nesterov (Bengio et al.'s form), Adadelta's
#   `lr`, NAdam's momentum schedule, and AMSGrad's bias correction.
# - Nesterov's method in Sutskever et al.'s look-ahead form and in PyTorch's form are the same
#   iteration under $\tilde\theta=\theta+\mu v$, for a constant step size ({prf:ref}`prop-03-nesterov`).
# - Adaptive methods rescale coordinates: they cross plateaus and leave saddles quickly and undo
#   axis-aligned ill-conditioning, but not rotated ill-conditioning. AdaDelta is not RMSProp: its
#   step carries parameter units, it has no learning rate, and $\varepsilon$ sets how fast it starts.
# - Adam needs its bias correction (without it the first steps are several times too long), and with
#   a small $\beta_2$ it can converge to the worst point of a simple convex online problem
#   ({prf:ref}`thm-03-reddi`); AMSGrad's running maximum, which must not be fed back into the
#   average, repairs this. With the default $\beta_2=0.999$ Adam converges on that example.
# - On MNIST, with learning rates fixed on training data only, all nine methods train the same CNN
#   to similar held-out accuracy; the debate about adaptive methods' generalisation
#   {cite:p}`wilson2017marginal` concerns larger problems, and its remedies — switching to SGD
#   {cite:p}`keskar2017improving` and bounding the step size {cite:p}`luo2019adaptive` (not the same
#   paper, despite the notes) — interpolate between Adam and SGD.

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```
#
# - Bengio, Y., Boulanger-Lewandowski, N., Pascanu, R. (2013). Advances in optimizing recurrent
#   networks. *Proceedings of ICASSP 2013*, 8624–8628.
# - Dozat, T. (2016). Incorporating Nesterov momentum into Adam. *ICLR 2016 Workshop Track*.
# - Duchi, J., Hazan, E., Singer, Y. (2011). Adaptive subgradient methods for online learning and
#   stochastic optimization. *Journal of Machine Learning Research* 12, 2121–2159.
# - Keskar, N. S., Socher, R. (2017). Improving generalization performance by switching from Adam to
#   SGD. arXiv:1712.07628.
# - Kingma, D. P., Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR 2015*;
#   arXiv:1412.6980.
# - Kupyn, O., Budzan, V., Mykhailych, M., Mishkin, D., Matas, J. (2018). DeblurGAN: blind motion
#   deblurring using conditional adversarial networks. *Proceedings of CVPR 2018*, 8183–8192.
# - Luo, L., Xiong, Y., Liu, Y., Sun, X. (2019). Adaptive gradient methods with dynamic bound of
#   learning rate. *ICLR 2019*.
# - Nesterov, Y. (1983). A method for solving the convex programming problem with convergence rate
#   $O(1/k^2)$. *Soviet Mathematics Doklady* 27, 372–376.
# - Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. *USSR
#   Computational Mathematics and Mathematical Physics* 4(5), 1–17.
# - Reddi, S. J., Kale, S., Kumar, S. (2018). On the convergence of Adam and beyond. *ICLR 2018*.
# - Sutskever, I., Martens, J., Dahl, G., Hinton, G. (2013). On the importance of initialization and
#   momentum in deep learning. *Proceedings of ICML 2013*, PMLR 28(3), 1139–1147.
# - Tieleman, T., Hinton, G. (2012). Lecture 6.5 — RMSProp: divide the gradient by a running average
#   of its recent magnitude. *COURSERA: Neural Networks for Machine Learning*.
# - Wilson, A. C., Roelofs, R., Stern, M., Srebro, N., Recht, B. (2017). The marginal value of
#   adaptive gradient methods in machine learning. *Advances in Neural Information Processing
#   Systems 30*, 4148–4158.
# - Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.
