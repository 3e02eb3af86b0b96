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
# # Random projections and the Johnson–Lindenstrauss lemma
#
# A grey-scale image with $d$ pixels is a point in $\mathbb{R}^d$: a $28\times 28$ MNIST digit
# lives in $\mathbb{R}^{784}$, a $512\times 512$ photograph in $\mathbb{R}^{262\,144}$. This first
# chapter asks a geometric question about such high-dimensional data: **how few numbers per image
# do we need to keep all pairwise distances of a collection of $n$ images almost unchanged?**
# The Johnson–Lindenstrauss lemma gives a surprising answer: about $\ln n/\varepsilon^2$ numbers,
# whatever $d$ is, and a *random* linear map finds them.
#
# **In this chapter you will**
# - state the lemma precisely and prove it (moment generating function of a $\chi^2$ variable,
#   Markov's inequality, both tails, the union bound), with the constants checked against the
#   sources;
# - see what the proof does and does not promise (success probability at least $1/n$, which
#   is enough to find a good map by repeating the draw);
# - measure on MNIST and on synthetic points how the largest distortion shrinks with the target
#   dimension $k$, how the success probability jumps from 0 to 1 well before the bound, and how
#   loose the bound is;
# - compare the bound with scikit-learn, count nearly orthogonal directions in $\mathbb{R}^d$,
#   try sparse random matrices, and classify digits by nearest neighbours after projecting.
#
# The code that computes lives in `course_lib.jl`; this notebook explains and calls it.

# %% tags=["imports"]
import numpy as np
import matplotlib.pyplot as plt
import torch.nn.functional as F
from IPython.display import display
from sklearn.random_projection import johnson_lindenstrauss_min_dim

import course_lib
import course_lib.checks.ch01
from course_lib import checks, data, jl, results

# %%
profile = course_lib.setup_notebook("01_johnson_lindenstrauss")

# %% [markdown]
# ## 1. Why random projections matter for image data
#
# Many tools of image processing only look at an image collection through **Euclidean distances**:
# nearest-neighbour classification and retrieval, $k$-means clustering, kernel methods with a
# Gaussian kernel, and patch-based denoisers such as non-local means or BM3D, which search for
# patches that are close to the patch being denoised. The cost of every distance is proportional to
# the dimension $d$, and so is the memory needed to store the data. If a map
# $f:\mathbb{R}^d\to\mathbb{R}^k$ with $k \ll d$ kept all pairwise distances nearly intact, we could
# run these methods on $f(x_1),\dots,f(x_n)$ instead, at a fraction of the cost.
#
# Principal component analysis finds such a map by looking at the data. The Johnson–Lindenstrauss
# lemma {cite:p}`johnson1984extensions` says that a map chosen **without looking at the data** does
# the job too: a $k\times d$ matrix with independent Gaussian entries, for
# $k$ of order $\ln n/\varepsilon^2$. Three features make it remarkable: $k$ does not depend on $d$,
# the map is linear, and it is the same recipe for every data set. Random projections have been used
# this way on image and text data for a long time {cite:p}`bingham2001random`, and the same
# concentration of $\|Ax\|^2$ around $\|x\|^2$ underlies random measurement matrices in compressed
# sensing {cite:p}`baraniuk2008simple`, a recurring theme of inverse problems.
#
# **How this relates to convolutional networks — stated carefully.** Encoders of convolutional
# denoisers (auto-encoders, U-Nets) also represent an image by fewer numbers, and it is tempting to say
# that the Johnson–Lindenstrauss lemma "explains" this. It does not. The lemma is about a *fixed,
# finite* set of points and a *random, linear* map that ignores the data; a trained encoder is
# nonlinear, learned from data, and is not even supposed to preserve all distances (a denoiser
# should map a noisy image close to its clean version, erasing the distance the noise created). What
# the lemma does tell us is (i) that geometry alone does not forbid a short code: the pairwise
# distances of $n$ images survive a drop to $O(\ln n/\varepsilon^2)$ dimensions, and (ii) that a
# random linear layer with the right scaling approximately preserves geometry. A second common
# claim, that images lie near a low-dimensional manifold, is plausible but is *not* what the lemma
# uses: the lemma holds for every point set, structured or not, and its $k$ depends only on $n$ and
# $\varepsilon$. (When the data do lie on a smooth $m$-dimensional manifold, $k$ can instead be tied
# to $m$ and the manifold's regularity {cite:p}`baraniuk2009random`.)

# %% [markdown]
# ```{prf:remark} An aside: neural networks are universal approximators
# :label: rem-01-universal
#
# The course will use neural networks as flexible function approximators, and the classical
# justification is the universal approximation theorem. {cite:t}`cybenko1989approximation` proved
# that finite sums $\sum_{j=1}^{N}\alpha_j\,\sigma(w_j^\top x+b_j)$ with a continuous sigmoidal
# $\sigma$ are dense in the continuous functions on $[0,1]^d$ for the uniform norm, and
# {cite:t}`hornik1991approximation` extended this to every bounded, non-constant activation (density
# in $C(K)$ on compact sets $K$ and in $L^p(\mu)$ for finite measures $\mu$). These theorems are
# about **width** — one hidden layer with enough units — not depth; statements for deep
# convolutional networks whose depth grows also exist {cite:p}`zhou2020universality`. They are pure
# existence results: they say neither how many units are needed for a given accuracy nor whether
# training finds them. The Johnson–Lindenstrauss lemma is different in kind: it gives an explicit
# size $k$ and an explicit randomised construction.
# ```

# %% [markdown]
# ## 2. The lemma and its proof
#
# Throughout, $\|\cdot\|$ is the Euclidean norm, $\ln$ is the **natural** logarithm and
# $\varepsilon\in(0,1)$. The lemma controls **squared** distances.
#
# ```{prf:theorem} Johnson–Lindenstrauss, in the form of Dasgupta and Gupta
# :label: thm-01-jl
#
# Let $0<\varepsilon<1$, let $n\ge 2$ and let $k$ be an integer with
#
# $$
# k \;\ge\; \frac{24\,\ln n}{3\varepsilon^2-2\varepsilon^3}
#   \;=\; \frac{4\,\ln n}{\varepsilon^2/2-\varepsilon^3/3}.
# $$
#
# For every set $\{x_1,\dots,x_n\}\subset\mathbb{R}^d$ there is a linear map
# $A:\mathbb{R}^d\to\mathbb{R}^k$ such that, for all $i,j$,
#
# $$
# (1-\varepsilon)\,\|x_i-x_j\|^2 \;\le\; \|Ax_i-Ax_j\|^2 \;\le\; (1+\varepsilon)\,\|x_i-x_j\|^2 .
# $$
#
# Moreover the random matrix $A=M/\sqrt{k}$, where $M\in\mathbb{R}^{k\times d}$ has independent
# $\mathcal N(0,1)$ entries, has this property with probability **at least $1/n$**.
# ```
#
# {cite:t}`dasgupta2003elementary` prove the theorem for the projection onto a uniformly random
# $k$-dimensional subspace (rescaled by $\sqrt{d/k}$); the Gaussian matrix used here, as in
# {cite:t}`indyk1998approximate`, leads to exactly the same tail bounds with a slightly simpler
# computation. Taking square roots, distances themselves are preserved within the factors
# $\sqrt{1-\varepsilon}\ge 1-\varepsilon$ and $\sqrt{1+\varepsilon}\le 1+\varepsilon$.
#
# The proof has two steps: a single vector keeps its squared length up to $1\pm\varepsilon$ with
# probability at least $1-2/n^2$ ({prf:ref}`lem-01-one-vector`), and a union bound over the pairs.
# We need two small tools first.
#
# ```{prf:lemma} Moment generating function of a squared Gaussian
# :label: lem-01-mgf
#
# If $Y\sim\mathcal N(0,1)$ and $\lambda<\tfrac12$, then
# $\mathbb{E}\big[e^{\lambda Y^2}\big]=(1-2\lambda)^{-1/2}$.
# Consequently, if $Y_1,\dots,Y_k$ are independent $\mathcal N(0,1)$ variables,
# $\mathbb{E}\big[e^{\lambda\sum_i Y_i^2}\big]=(1-2\lambda)^{-k/2}$.
# ```
#
# ```{prf:proof}
# Combine the two exponentials and substitute $u=\sqrt{1-2\lambda}\,y$ (allowed because
# $1-2\lambda>0$):
#
# $$
# \mathbb{E}\big[e^{\lambda Y^2}\big]=\int_{-\infty}^{\infty}\frac{1}{\sqrt{2\pi}}\,
# e^{-(1-2\lambda)y^2/2}\,dy=\frac{1}{\sqrt{1-2\lambda}}\int_{-\infty}^{\infty}\frac{1}{\sqrt{2\pi}}\,
# e^{-u^2/2}\,du=\frac{1}{\sqrt{1-2\lambda}} .
# $$
#
# For the sum, $e^{\lambda\sum_i Y_i^2}=\prod_i e^{\lambda Y_i^2}$ and the expectation of a product
# of independent variables is the product of the expectations. Note that negative $\lambda$ is
# allowed: we use $\lambda=t>0$ for the upper tail and $\lambda=-t<0$ for the lower tail.
# ```
#
# ```{prf:lemma} Two logarithm inequalities
# :label: lem-01-log
#
# For $0\le\varepsilon<1$:
# $\;\ln(1+\varepsilon)\le\varepsilon-\dfrac{\varepsilon^2}{2}+\dfrac{\varepsilon^3}{3}\;$ and
# $\;\ln(1-\varepsilon)\le-\varepsilon-\dfrac{\varepsilon^2}{2}.$
# ```
#
# ```{prf:proof}
# Let $g(\varepsilon)=\varepsilon-\varepsilon^2/2+\varepsilon^3/3-\ln(1+\varepsilon)$. Then $g(0)=0$ and
# $g'(\varepsilon)=1-\varepsilon+\varepsilon^2-\frac{1}{1+\varepsilon}
# =\frac{(1-\varepsilon+\varepsilon^2)(1+\varepsilon)-1}{1+\varepsilon}=\frac{\varepsilon^3}{1+\varepsilon}\ge0$,
# so $g\ge0$. Likewise $h(\varepsilon)=-\varepsilon-\varepsilon^2/2-\ln(1-\varepsilon)$ has $h(0)=0$ and
# $h'(\varepsilon)=-1-\varepsilon+\frac{1}{1-\varepsilon}=\frac{\varepsilon^2}{1-\varepsilon}\ge0$.
# ```
#
# We also use **Markov's inequality** in the form we need: if $W\ge0$ is a random variable and
# $c>0$, then $\Pr[W\ge c]\le\mathbb{E}[W]/c$ (because $c\,\mathbf 1\{W\ge c\}\le W$). It is applied
# below to $W=e^{sZ}$, which is positive.
#
# ```{prf:lemma} One vector
# :label: lem-01-one-vector
#
# Let $x\in\mathbb{R}^d$, $x\ne0$, let $A=M/\sqrt k$ as in {prf:ref}`thm-01-jl` and let
# $Z=\|Ax\|^2/\|x\|^2$. Then $\mathbb{E}[Z]=1$, $kZ$ has the $\chi^2_k$ distribution, and
#
# $$
# \Pr[Z\ge1+\varepsilon]\le\big((1+\varepsilon)e^{-\varepsilon}\big)^{k/2}
#   \le\exp\!\Big(-\frac{k(3\varepsilon^2-2\varepsilon^3)}{12}\Big),\qquad
# \Pr[Z\le1-\varepsilon]\le\big((1-\varepsilon)e^{\varepsilon}\big)^{k/2}
#   \le\exp\!\Big(-\frac{k\varepsilon^2}{4}\Big).
# $$
# ```
#
# ```{prf:proof}
# *Distribution.* Let $Y_i=(Mx)_i/\|x\|=\sum_{j}M_{ij}\,x_j/\|x\|$. A sum of independent centred
# Gaussians is Gaussian with the sum of the variances, so
# $Y_i\sim\mathcal N\big(0,\sum_j x_j^2/\|x\|^2\big)=\mathcal N(0,1)$; different $i$ use different rows
# of $M$, so $Y_1,\dots,Y_k$ are independent. Hence $kZ=\sum_{i=1}^k Y_i^2\sim\chi^2_k$ and
# $\mathbb{E}[Z]=\frac1k\cdot k=1$. (The division by $\|x\|$ matters: without it,
# $(Mx)_i\sim\mathcal N(0,\|x\|^2)$ and $\mathbb{E}\|Ax\|^2=\|x\|^2$, not 1.)
#
# *Upper tail.* For $0<t<\tfrac12$, the map $z\mapsto e^{tkz}$ is increasing, so by Markov's
# inequality and {prf:ref}`lem-01-mgf`,
#
# $$
# \Pr[Z\ge1+\varepsilon]=\Pr\big[e^{tkZ}\ge e^{tk(1+\varepsilon)}\big]
# \le\frac{\mathbb{E}\big[e^{t\sum_i Y_i^2}\big]}{e^{tk(1+\varepsilon)}}
# =\Big(\frac{e^{-2t(1+\varepsilon)}}{1-2t}\Big)^{k/2}.
# $$
#
# The choice $t=\frac{\varepsilon}{2(1+\varepsilon)}\in(0,\tfrac12)$ minimises the right-hand side; it
# gives $1-2t=\frac{1}{1+\varepsilon}$ and $2t(1+\varepsilon)=\varepsilon$, hence the bound
# $\big((1+\varepsilon)e^{-\varepsilon}\big)^{k/2}=\exp\big(\tfrac k2(\ln(1+\varepsilon)-\varepsilon)\big)$.
# By {prf:ref}`lem-01-log`, $\ln(1+\varepsilon)-\varepsilon\le-\frac{\varepsilon^2}{2}+\frac{\varepsilon^3}{3}
# =-\frac{3\varepsilon^2-2\varepsilon^3}{6}$, which gives the second form.
#
# *Lower tail* — it needs its own computation, with the exponent of the other sign. For $t>0$ the
# map $z\mapsto e^{-tkz}$ is decreasing, so
#
# $$
# \Pr[Z\le1-\varepsilon]=\Pr\big[e^{-tkZ}\ge e^{-tk(1-\varepsilon)}\big]
# \le\frac{\mathbb{E}\big[e^{-t\sum_i Y_i^2}\big]}{e^{-tk(1-\varepsilon)}}
# =\Big(\frac{e^{2t(1-\varepsilon)}}{1+2t}\Big)^{k/2},
# $$
#
# using {prf:ref}`lem-01-mgf` with $\lambda=-t$. Now $t=\frac{\varepsilon}{2(1-\varepsilon)}$ gives
# $1+2t=\frac1{1-\varepsilon}$ and $2t(1-\varepsilon)=\varepsilon$, hence
# $\big((1-\varepsilon)e^{\varepsilon}\big)^{k/2}=\exp\big(\tfrac k2(\ln(1-\varepsilon)+\varepsilon)\big)
# \le\exp\big(-\tfrac{k\varepsilon^2}{4}\big)$ by the second inequality of {prf:ref}`lem-01-log`.
# ```
#
# ```{prf:proof}
# (Of {prf:ref}`thm-01-jl`.) Since $\frac{\varepsilon^2}{4}\ge\frac{3\varepsilon^2-2\varepsilon^3}{12}$, both tails in
# {prf:ref}`lem-01-one-vector` are at most $\exp\big(-k\,\frac{3\varepsilon^2-2\varepsilon^3}{12}\big)$,
# and the assumption on $k$ says exactly $k\,\frac{3\varepsilon^2-2\varepsilon^3}{12}\ge2\ln n$. So for one
# vector $x\neq0$,
#
# $$
# \Pr\big[\,|Z-1|>\varepsilon\,\big]\le\frac1{n^2}+\frac1{n^2}=\frac{2}{n^2}.
# $$
#
# For a pair $i<j$ with $x_i\ne x_j$ apply this to $x=x_i-x_j$: by linearity $Ax_i-Ax_j=A(x_i-x_j)$,
# so the event $E_{ij}$ = "the pair $\{i,j\}$ leaves $[1-\varepsilon,1+\varepsilon]$" has
# $\Pr[E_{ij}]\le2/n^2$ (pairs of equal points never fail). There are $\binom n2=\frac{n(n-1)}{2}$
# pairs. The union bound $\Pr\big[\bigcup E_{ij}\big]\le\sum\Pr[E_{ij}]$ holds for *any* events —
# they need be neither disjoint nor independent (and they are not: pairs share points). Hence
#
# $$
# \Pr[\text{some pair fails}]\le\frac{n(n-1)}{2}\cdot\frac{2}{n^2}=1-\frac1n,
# \qquad\text{so}\qquad
# \Pr[\text{all pairs are within }\varepsilon]\ge\frac1n>0 .
# $$
#
# A random matrix that works with positive probability means that some matrix works: the map exists.
# ```

# %% [markdown]
# ```{prf:remark} What the proof promises, and why it is still practical
# :label: rem-01-las-vegas
#
# The proof gives a success probability of **at least** $1/n$, not "equal to $1/n$" and not close
# to 1. That is enough for an algorithm: draw $A$, check all $\binom n2$ pairs (cost $O(ndk+n^2k)$),
# and draw again if a pair fails. The draws are independent, so the number of draws until the first
# success is geometric with success probability $p\ge1/n$: its mean is $1/p\le n$, and the chance
# that $rn$ draws all fail is at most $(1-1/n)^{rn}\le e^{-r}$. In practice $p$ is close to 1 at the
# bound (Section 5): the Chernoff bound of {prf:ref}`lem-01-one-vector` is loose by a polynomial
# factor, and so one draw almost always works.
# ```
#
# ```{prf:remark} Slips this chapter corrects
# :label: rem-01-corrections
#
# Presentations of this proof — including the student notes this chapter started from — often
# contain the following slips; the course's version above avoids each of them.
# 1. $Z$ must be $\|Ax\|^2/\|x\|^2$ (or $x$ a unit vector). With $Z=\|Ax\|^2$ for a general $x$, each
#    $(Mx)_i\sim\mathcal N(0,\|x\|^2)$ and $\mathbb{E}[Z]=\|x\|^2$, not 1.
# 2. Markov's inequality is a statement about a **non-negative** variable $W$:
#    $\Pr[W\ge c]\le\mathbb{E}[W]/c$. (Stating it for $|X|$ is true but is not the form used.)
# 3. The lower tail is **not** "similar": it uses $\mathbb{E}[e^{-tY^2}]=(1+2t)^{-1/2}$, the bound
#    $\big((1-\varepsilon)e^{\varepsilon}\big)^{k/2}$ and its own inequality
#    $\ln(1-\varepsilon)\le-\varepsilon-\varepsilon^2/2$.
# 4. The union bound runs over the $n(n-1)/2$ **pairs**, not over $n$ events, and needs no
#    disjointness (for disjoint events it would be an equality).
# 5. $\frac{n(n-1)}{2}\cdot\frac{2}{n^2}=1-\frac1n$ bounds the probability of **failure**; the success
#    probability is **at least** $1/n$.
# 6. $\ln$ is the natural logarithm; with $\log_{10}$ the "bound" is 2.3 times too small, with
#    $\log_2$ 1.44 times too large.
# 7. The lemma bounds **squared** distances (ratios of squared distances in $[1-\varepsilon,1+\varepsilon]$).
# 8. `sklearn.random_projection.johnson_lindenstrauss_min_dim` truncates the bound to an integer
#    (a floor); the smallest admissible integer is the ceiling (Section 6).
# ```
#
# ```{prf:remark} The bound cannot be improved much
# :label: rem-01-optimal
#
# The constant 24 comes from this particular proof, but the order $\ln n/\varepsilon^2$ is optimal:
# {cite:t}`larsen2017optimality` show that there are $n$-point sets for which *every* map — linear or
# not — with distortion $\varepsilon$ needs $k=\Omega(\varepsilon^{-2}\ln n)$ dimensions (for all $\varepsilon$
# that are not tiny compared with $n$ and $d$). Note also that the
# bound can exceed $d$: for all 8,000 training digits and $\varepsilon=0.1$ it asks for $k\ge7{,}704$,
# ten times MNIST's $d=784$. The lemma is useful when $d\gg\ln n/\varepsilon^2$.
# ```

# %% [markdown]
# ### Exercises on the construction and the bound
#
# ```{exercise} The Gaussian map
# :label: ex-01-gaussian-map
#
# Write `gaussian_map(X, k, rng)`: given points `X` of shape `(n, d)` (one point per row), a target
# dimension `k` and a NumPy generator `rng`, draw $M\in\mathbb{R}^{k\times d}$ with independent
# $\mathcal N(0,1)$ entries **from `rng`**, and return the images $Ax_i$ of all points with
# $A=M/\sqrt k$, as an array of shape `(n, k)`. The check is statistical: over many draws,
# $\|Ax\|^2/\|x\|^2$ must have mean 1 and variance $2/k$ (a $\chi^2_k/k$ variable).
# ```
#
# ```{solution-start} ex-01-gaussian-map
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 1.1: map the rows of X with the Gaussian matrix A = M / sqrt(k)
def gaussian_map(X, k, rng):
    """Return X @ A.T of shape (n, k), A = M / sqrt(k), M of shape (k, d) with N(0, 1) entries from rng."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    M = rng.standard_normal((k, X.shape[1]))
    return X @ M.T / np.sqrt(k)
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch01.check_gaussian_map(gaussian_map)

# %% [markdown]
# ```{exercise} The target dimension of the lemma
# :label: ex-01-jl-dimension
#
# Write `jl_dimension(n, eps)` returning the **smallest integer** $k$ with
# $k\ge 24\ln n/(3\varepsilon^2-2\varepsilon^3)$, for $n\ge2$ points and $0<\varepsilon<1$. Mind the
# logarithm's base, the sign in the denominator and the direction of rounding.
# ```
#
# ```{solution-start} ex-01-jl-dimension
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 1.2: compute the smallest integer k allowed by the Johnson-Lindenstrauss bound
def jl_dimension(n, eps):
    """Smallest integer k >= 24 ln(n) / (3 eps^2 - 2 eps^3)."""
    ### BEGIN SOLUTION
    return int(np.ceil(24 * np.log(n) / (3 * eps**2 - 2 * eps**3)))
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch01.check_jl_dimension(jl_dimension)

# %% [markdown]
# ## 3. The data and the sizes of this run
#
# We use the course's split of MNIST (8,000 training and 2,000 evaluation digits, see
# `course_lib.data`), each image flattened to a vector in $\mathbb{R}^{784}$ with grey levels in
# $[0,1]$. The sizes below depend on the profile (`ci` for the automatic tests, `default` for
# teaching, `full` for the committed results). The random generator of each experiment has its own
# fixed seed.

# %%
images, labels = data.mnist("train")
eval_images, eval_labels = data.mnist("eval")
X_train = images.reshape(len(images), -1).double().numpy()
y_train = labels.numpy()
X_eval = eval_images.reshape(len(eval_images), -1).double().numpy()
y_eval = eval_labels.numpy()
D = X_train.shape[1]

N_HIST = course_lib.by_profile(ci=300, default=800, full=1500)        # points in the histograms
D_SYNTH = course_lib.by_profile(ci=2000, default=10_000, full=10_000) # dimension of the synthetic cloud
N_CURVE = course_lib.by_profile(ci=200, default=800, full=2000)       # points for distortion vs k
TRIALS_CURVE = course_lib.by_profile(ci=5, default=15, full=40)
N_SUCC = 50                                                           # points for the success probability
TRIALS_SUCC = course_lib.by_profile(ci=150, default=1000, full=5000)
REPEATS_DRAWS = course_lib.by_profile(ci=20, default=100, full=500)
D_ORTHO = course_lib.by_profile(ci=[20, 40, 60, 80], default=[20, 40, 60, 80, 100, 120],
                                full=[20, 40, 60, 80, 100, 120, 140])
CANDIDATES = course_lib.by_profile(ci=3000, default=20_000, full=60_000)
N_SPARSE = course_lib.by_profile(ci=500, default=2000, full=3000)      # images for the timing
TRIALS_SPARSE = course_lib.by_profile(ci=3, default=10, full=30)
N_KNN_TRAIN = course_lib.by_profile(ci=2000, default=8000, full=8000)
N_KNN_EVAL = course_lib.by_profile(ci=500, default=2000, full=2000)
SEEDS_KNN = course_lib.by_profile(ci=1, default=3, full=10)
print(f"train {X_train.shape}, eval {X_eval.shape}; d = {D}")

# %% [markdown]
# ## 4. Distortion histograms: MNIST and a synthetic cloud
#
# For a pair $i<j$ call $r_{ij}=\|Ax_i-Ax_j\|^2/\|x_i-x_j\|^2$ its **distortion ratio**; the lemma asks
# for $|r_{ij}-1|\le\varepsilon$ for every pair. By {prf:ref}`lem-01-one-vector`, for the Gaussian map
# *each* ratio has the law of $\chi^2_k/k$ — mean 1, variance $2/k$ — **whatever the data are**. Only
# the dependence between pairs depends on the data. We check this on $n$ MNIST digits
# ($d=784$) and on $n$ points of a standard Gaussian cloud in $\mathbb{R}^{D_\text{synth}}$.

# %%
rng = np.random.default_rng(1)
X_mnist = X_train[rng.choice(len(X_train), N_HIST, replace=False)]
X_synth = rng.standard_normal((N_HIST, D_SYNTH))
K_HIST = [25, 100, 400]
hist_std = {}
fig, axes = plt.subplots(1, len(K_HIST), figsize=(13, 3.6))
for ax, k in zip(axes, K_HIST):
    for name, pts in [("MNIST digits", X_mnist), (f"Gaussian cloud, d = {D_SYNTH}", X_synth)]:
        ratios = jl.distortions(pts, jl.project(pts, jl.gaussian_projection_matrix(pts.shape[1], k, rng)))
        hist_std[name.split(",")[0], k] = (ratios.mean(), ratios.std())
        jl.plot_ratio_histogram(ax, ratios, k, label=name, density_curve=name.startswith("Gaussian"))
    ax.set_title(f"k = {k}: std of $\\chi^2_k/k$ is {np.sqrt(2 / k):.3f}")
axes[0].legend(fontsize=8)
fig.suptitle(f"Distortion ratios of all {N_HIST * (N_HIST - 1) // 2:,} pairs of {N_HIST} points", y=1.02)
fig.tight_layout()
plt.show()
for (name, k), (m, s) in hist_std.items():
    print(f"{name:15s} k = {k:4d}: mean ratio {m:.3f}, std {s:.3f} (theory 1 and {np.sqrt(2 / k):.3f})")

# %% [markdown]
# The two histograms sit on the same $\chi^2_k/k$ density: the ratio's law does not care whether the
# points are digits or noise, nor what $d$ is. The spread shrinks like $\sqrt{2/k}$ and the
# distribution is skewed to the right for small $k$ (long upper tail, hard wall at 0) — which is why
# the two tails needed different computations.

# %%
for (name, k), (m, s) in hist_std.items():
    assert abs(s / np.sqrt(2 / k) - 1) < 0.3, f"{name}, k={k}: std of the ratios {s:.3f} is not close to sqrt(2/k)"
    assert abs(m - 1) < 2.5 * np.sqrt(2 / k), f"{name}, k={k}: mean ratio {m:.3f} is far from 1"
print("The ratios have mean about 1 and standard deviation about sqrt(2/k) on both data sets.")

# %% [markdown]
# ### Try it yourself
#
# Move the sliders: $k$ changes the random map (one fixed draw per $k$), $\varepsilon$ moves the red
# lines $1\pm\varepsilon$. The title says whether every pair of the 150 digits stays within
# $\varepsilon$ and what the lemma's bound is. (In the static book the control is not live; run the
# notebook in JupyterLab.)

# %%
explorer = jl.distortion_explorer(X_mnist[:150], seed=0)
display(explorer)

# %% [markdown]
# ```{exercise} The largest distortion of a map
# :label: ex-01-max-distortion
#
# Write `max_pairwise_distortion(X, Y)`: `X` has shape `(n, d)` with distinct rows, `Y` shape
# `(n, k)` holds their images (row $i$ of `Y` is the image of row $i$ of `X`). Return
# $\max_{i<j}\big|\,\|y_i-y_j\|^2/\|x_i-x_j\|^2-1\big|$ as a float. Only pairs $i<j$ count (the pair of a
# point with itself is $0/0$), the distances are **squared**, and shrunk pairs count as much as
# stretched ones.
# ```
#
# ```{solution-start} ex-01-max-distortion
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 1.3: compute the largest distortion of squared distances over all pairs i < j
def max_pairwise_distortion(X, Y):
    """max over i < j of | ||y_i - y_j||^2 / ||x_i - x_j||^2 - 1 |."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    i, j = np.triu_indices(X.shape[0], k=1)
    before = np.sum((X[i] - X[j]) ** 2, axis=1)
    after = np.sum((Y[i] - Y[j]) ** 2, axis=1)
    return float(np.max(np.abs(after / before - 1)))
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch01.check_max_pairwise_distortion(max_pairwise_distortion)

# %% [markdown]
# ## 5. The largest distortion versus $k$, and the bound
#
# Now we draw maps to $k$ dimensions for a range of $k$ and record the largest distortion
# $\max_{i<j}|r_{ij}-1|$ of $n$ digits (`course_lib.jl.max_distortion_curve`; within one draw the maps
# for different $k$ share rows, which makes the curves smooth without changing any single map's law).
# Inverting the theorem gives, for each $k>24\ln n$, the distortion $\varepsilon_\text{bound}(k)$ it
# guarantees: the root of $3\varepsilon^2-2\varepsilon^3=24\ln n/k$ (`course_lib.jl.guaranteed_eps`).

# %%
rng = np.random.default_rng(2)
X_curve = X_train[rng.choice(len(X_train), N_CURVE, replace=False)]
ks_curve = np.array([8, 16, 32, 64, 128, 256, 512, 784])
curve = jl.max_distortion_curve(X_curve, ks_curve, TRIALS_CURVE, rng)
median = np.median(curve, axis=0)
k_fine = np.unique(np.geomspace(np.floor(24 * np.log(N_CURVE)) + 1, 784, 300).astype(int))
eps_bound_fine = np.array([jl.guaranteed_eps(N_CURVE, k) for k in k_fine])
eps_bound = np.array([jl.guaranteed_eps(N_CURVE, k) for k in ks_curve])
EPS_REF = 0.3
k_bound_ref = jl.jl_min_dim(N_CURVE, EPS_REF)
# the k at which the measured median crosses EPS_REF (interpolated on log scales)
k_needed_ref = float(np.exp(np.interp(np.log(EPS_REF), np.log(median[::-1]), np.log(ks_curve[::-1]))))
slope = jl.loglog_slope(ks_curve[ks_curve >= 64], median[ks_curve >= 64])

fig, ax = plt.subplots(figsize=(7.5, 4.6))
ax.fill_between(ks_curve, curve.min(axis=0), curve.max(axis=0), alpha=0.25, label=f"range over {TRIALS_CURVE} draws")
ax.plot(ks_curve, median, "o-", label="measured: median of the largest distortion")
ax.plot(k_fine, eps_bound_fine, "r-", lw=2, label=r"guaranteed by the theorem, $\varepsilon_{bound}(k)$")
ax.plot(ks_curve, median[-1] * np.sqrt(ks_curve[-1] / ks_curve), "k:", label=r"slope $-1/2$")
ax.axhline(EPS_REF, color="gray", lw=0.8)
if k_bound_ref <= ks_curve[-1]:
    ax.axvline(k_bound_ref, color="r", ls="--", lw=1)
    ax.annotate(f"bound for $\\varepsilon$ = {EPS_REF}:\nk ≥ {k_bound_ref}", (k_bound_ref, 1.5), ha="right", fontsize=9)
ax.axvline(24 * np.log(N_CURVE), color="r", ls=":", lw=1, label=r"$k = 24\ln n$: no guarantee to the left")
ax.set(xscale="log", yscale="log", xlabel="target dimension k",
       ylabel=r"largest distortion $\max_{i<j}|r_{ij}-1|$", title=f"n = {N_CURVE} MNIST digits, d = {D}")
ax.set_yticks([0.2, 0.3, 0.5, 1, 2, 3], labels=["0.2", "0.3", "0.5", "1", "2", "3"])
ax.set_xticks(ks_curve, labels=[str(k) for k in ks_curve])
ax.minorticks_off()
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()
print(f"slope of the median for k >= 64: {slope:.3f}")
print(f"eps = {EPS_REF}: the bound asks for k >= {k_bound_ref}; the measured median crosses {EPS_REF} at k ~ {k_needed_ref:.0f}")
print(f"k = 784: measured median {median[-1]:.3f}, guaranteed {eps_bound[-1]:.3f}")

# %% [markdown]
# Three observations. (1) The guarantee starts only at $k>24\ln n$ (dotted red line) and is
# respected by the measured curve wherever it exists. (2) The measured largest distortion decays like
# $k^{-1/2}$, the rate $\varepsilon\propto\sqrt{\ln n/k}$ that the bound predicts. (3) The constant is
# conservative: the data reach $\varepsilon=0.3$ at a clearly smaller $k$ than the bound asks for (see
# the printed numbers). The guarantee at large $k$ is not far above the measurement, though: the
# $\ln n$ is real, since the worst of $\binom n2$ pairs sits far in the tail of $\chi^2_k/k$.

# %%
ok = ~np.isnan(eps_bound)
frac_within = float(np.mean(curve[:, ok] <= eps_bound[ok]))
assert frac_within >= 1 / N_CURVE, f"only {frac_within:.3f} of the draws met the guarantee; the theorem promises >= 1/n"
assert np.all(median[ok] <= eps_bound[ok]), "the median largest distortion exceeds the theorem's guarantee"
assert -0.7 < slope < -0.4, f"the largest distortion should decay like k^(-1/2); fitted slope {slope:.3f}"
assert np.all(np.diff(median) < 0), "the largest distortion should decrease with k"
assert k_needed_ref < k_bound_ref, "the bound should be conservative on real data"
results.record("max_distortion_k784", float(median[-1]), unit="ratio",
               label=f"median largest distortion of squared distances, n = {N_CURVE} digits, k = 784",
               claim="below the theorem's guarantee at every k where it applies")
results.record("guaranteed_eps_k784", float(eps_bound[-1]), unit="ratio",
               label=f"distortion guaranteed by the theorem for n = {N_CURVE}, k = 784")
results.record("fraction_within_guarantee", frac_within, unit="fraction",
               label="draws whose largest distortion met the guarantee (all k above 24 ln n)",
               claim=">= 1/n (theorem); close to 1 in practice")
results.record("distortion_slope", slope, unit="log-log slope", label="slope of largest distortion vs k (k >= 64)",
               claim="about -1/2")
results.record("k_needed_eps03", k_needed_ref, unit="dims",
               label=f"k at which the measured median distortion of {N_CURVE} digits reaches 0.3",
               claim=f"below the bound {k_bound_ref}")
print(f"{frac_within:.1%} of the draws met the guarantee; all claims hold.")

# %% [markdown]
# ## 6. How likely is one draw to succeed?
#
# The theorem promises a success probability of at least $1/n$ at the bound. We estimate it for
# $n=50$ digits and $\varepsilon=0.3$ by drawing many independent maps per $k$. Two reference
# curves: the bound $1/n$, and the union bound evaluated with the **exact** per-pair failure
# probability $q_k=\Pr[\,|\chi^2_k/k-1|>\varepsilon\,]$ instead of its Chernoff bound $2/n^2$,
# i.e. $1-\binom n2 q_k$.

# %%
EPS_SUCC = 0.3
rng = np.random.default_rng(3)
X_succ = X_train[rng.choice(len(X_train), N_SUCC, replace=False)]
k_bound = jl.jl_min_dim(N_SUCC, EPS_SUCC)
ks_succ = np.unique(np.r_[np.linspace(60, 1.15 * k_bound, 14).astype(int), k_bound])
success = jl.success_curve(X_succ, ks_succ, EPS_SUCC, TRIALS_SUCC, rng)
pairs = N_SUCC * (N_SUCC - 1) // 2
k_dense = np.arange(ks_succ[0], ks_succ[-1] + 1)
union_exact = np.array([1 - pairs * jl.pair_failure_probability(k, EPS_SUCC) for k in k_dense])
rate_at_bound = float(success[ks_succ == k_bound][0])
q_bound = jl.pair_failure_probability(k_bound, EPS_SUCC)

fig, ax = plt.subplots(figsize=(7.5, 4.2))
ax.plot(ks_succ, success, "o-", label=f"measured ({TRIALS_SUCC} draws per k)")
ax.plot(k_dense, np.clip(union_exact, 0, 1), "g--", label=r"$1-\binom{n}{2}q_k$ (union bound, exact tails)")
ax.axhline(1 / N_SUCC, color="r", ls=":", label=f"1/n = {1 / N_SUCC:.2f} (the theorem at the bound)")
ax.axvline(k_bound, color="r", ls="--", lw=1, label=f"bound k = {k_bound}")
ax.set(xlabel="target dimension k", ylabel="P(all pairs within eps)", ylim=(-0.03, 1.03),
       title=f"n = {N_SUCC} digits, eps = {EPS_SUCC}")
ax.legend(fontsize=8, loc="center right")
fig.tight_layout()
plt.show()
print(f"at the bound k = {k_bound}: measured success rate {rate_at_bound:.3f} (theorem: >= {1 / N_SUCC:.2f})")
print(f"exact per-pair failure probability {q_bound:.2e}, Chernoff bound used in the proof 2/n^2 = {2 / N_SUCC**2:.2e}")

# %% [markdown]
# The success probability rises from 0 to 1 over a short range of $k$, well before the bound. At the
# bound it is close to 1, not $1/n$: the exact tail of one pair is about 30 times smaller than the
# $2/n^2$ of the proof. The union bound with exact tails (green) is then almost exact — pairs rarely
# fail together. So in practice one draw almost always works; the following cell counts the draws
# the Las Vegas algorithm of {prf:ref}`rem-01-las-vegas` needs.

# %%
k_half = int(ks_succ[np.argmin(np.abs(success - 0.5))])
draws_bound = [jl.draws_until_success(X_succ, k_bound, EPS_SUCC, rng) for _ in range(REPEATS_DRAWS)]
draws_half = [jl.draws_until_success(X_succ, k_half, EPS_SUCC, rng) for _ in range(REPEATS_DRAWS)]
print(f"k = {k_bound} (bound): mean number of draws {np.mean(draws_bound):.2f}, at most {max(draws_bound)} "
      f"(the proof guarantees a mean <= n = {N_SUCC})")
print(f"k = {k_half} (success rate near 1/2): mean number of draws {np.mean(draws_half):.2f}, at most {max(draws_half)}")

# %%
assert rate_at_bound >= 1 / N_SUCC, f"success rate {rate_at_bound:.3f} at the bound is below 1/n"
assert rate_at_bound >= 0.9, f"at the bound one draw should almost always work; measured {rate_at_bound:.3f}"
assert success[0] < 0.1 and success[-1] > 0.9, "the success probability should rise from near 0 to near 1"
assert np.mean(draws_bound) <= N_SUCC and np.mean(draws_bound) < 1.5, "at the bound, about one draw should suffice"
results.record("jl_bound_k", k_bound, unit="dims", label=f"smallest k of the bound, n = {N_SUCC}, eps = {EPS_SUCC}")
results.record("success_rate_at_bound", rate_at_bound, unit="fraction",
               label=f"P(all {pairs} pairs within eps) at the bound, n = {N_SUCC}, eps = {EPS_SUCC}",
               claim=">= 1/n (theorem), >= 0.9 in practice")
results.record("mean_draws_at_bound", float(np.mean(draws_bound)), unit="draws",
               label="mean number of draws until success at the bound", claim="<= n; about 1 in practice")
print("All claims about the success probability hold.")

# %% [markdown]
# ```{exercise} Estimate the success probability
# :label: ex-01-success
#
# Write `estimate_success_probability(X, k, eps, trials, seed)`: create **one** generator
# `rng = np.random.default_rng(seed)`, draw `trials` independent Gaussian maps $A=M/\sqrt k$ from it,
# and return the fraction of draws for which **all** pairs $i<j$ of the rows of `X` satisfy
# $\big|\,\|Ax_i-Ax_j\|^2/\|x_i-x_j\|^2-1\big|\le\varepsilon$. The function must be self-contained (do not
# call the functions of the previous exercises).
# ```
#
# ```{solution-start} ex-01-success
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 1.4: estimate the probability that one Gaussian map keeps all pairs within eps
def estimate_success_probability(X, k, eps, trials, seed):
    """Fraction of `trials` Gaussian maps A = M / sqrt(k) with every pair's ratio in [1 - eps, 1 + eps]."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=float)
    i, j = np.triu_indices(X.shape[0], k=1)
    before = np.sum((X[i] - X[j]) ** 2, axis=1)
    successes = 0
    for _ in range(trials):
        Y = X @ rng.standard_normal((k, X.shape[1])).T / np.sqrt(k)
        ratio = np.sum((Y[i] - Y[j]) ** 2, axis=1) / before
        successes += bool(np.all(np.abs(ratio - 1) <= eps))
    return successes / trials
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch01.check_estimate_success_probability(estimate_success_probability)

# %% [markdown]
# ## 7. The bound against scikit-learn
#
# `sklearn.random_projection.johnson_lindenstrauss_min_dim(n, eps=...)` {cite:p}`pedregosa2011scikit`
# computes $4\ln n/(\varepsilon^2/2-\varepsilon^3/3)$ — the same number as $24\ln n/(3\varepsilon^2-2\varepsilon^3)$
# (multiply numerator and denominator by 6) — but converts it to an integer by **truncation**. The
# truncated value is one below the bound whenever the bound is not an integer, so strictly it does not
# satisfy the theorem's hypothesis (harmless in practice, given the slack seen above). We check the
# equality with the floor on a grid, and plot how the bound grows with $n$.

# %%
grid_n = np.array([2, 10, 100, 1000, 8000, 10_000, 100_000, 1_000_000, 10**9])
grid_eps = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99])
ours = np.array([[jl.jl_bound(n, e) for e in grid_eps] for n in grid_n])
theirs = np.array([[johnson_lindenstrauss_min_dim(n, eps=e) for e in grid_eps] for n in grid_n])
ceil_ours = np.array([[jl.jl_min_dim(n, e) for e in grid_eps] for n in grid_n])
print(f"{'n':>10} {'eps':>5} {'bound':>12} {'ceiling':>8} {'sklearn':>8}")
for n in [10, 1000, 8000, 10**6]:
    for e in [0.1, 0.3, 0.5]:
        print(f"{n:>10} {e:>5} {jl.jl_bound(n, e):>12.3f} {jl.jl_min_dim(n, e):>8} "
              f"{johnson_lindenstrauss_min_dim(n, eps=e):>8}")

fig, ax = plt.subplots(figsize=(7, 4))
n_plot = np.geomspace(2, 1e7, 200)
for e in [0.1, 0.2, 0.3, 0.5]:
    ax.plot(n_plot, 24 * np.log(n_plot) / (3 * e**2 - 2 * e**3), label=f"eps = {e}")
ax.axhline(D, color="k", ls="--", lw=1, label="d = 784 (MNIST)")
ax.axvline(len(X_train), color="gray", ls=":", lw=1, label="n = 8,000 (training split)")
ax.set(xscale="log", yscale="log", xlabel="number of points n", ylabel="bound on k",
       title="The bound grows like ln n and does not depend on d")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
assert np.array_equal(np.floor(ours).astype(np.int64), theirs), "sklearn's value should be the floor of the bound"
assert np.all((ceil_ours - theirs >= 0) & (ceil_ours - theirs <= 1)), "ceiling and floor differ by at most one"
assert jl.jl_min_dim(len(X_train), 0.1) > D, "for all training digits at eps = 0.1 the bound exceeds d = 784"
results.record("sklearn_grid_agreement", int(ours.size), unit="grid points",
               label="(n, eps) pairs where floor(24 ln n / (3 eps^2 - 2 eps^3)) equals johnson_lindenstrauss_min_dim",
               claim="all")
results.record("bound_mnist_train_eps01", jl.jl_min_dim(len(X_train), 0.1), unit="dims",
               label="bound for all 8,000 training digits at eps = 0.1", claim="larger than d = 784")
print(f"sklearn equals the floor of the bound at all {ours.size} grid points; at "
      f"{int(np.sum(ceil_ours != theirs))} of them (every non-integer bound) the ceiling is one larger.")

# %% [markdown]
# ## 8. Near-orthogonality: exponentially many almost perpendicular directions
#
# In $\mathbb{R}^d$ at most $d$ unit vectors are exactly orthogonal. If we allow
# $|\langle u,v\rangle|\le\varepsilon$ (**$\varepsilon$-orthogonal**), the count explodes: two independent
# uniform unit vectors have $\Pr[|\langle u,v\rangle|>\varepsilon]\le2e^{-d\varepsilon^2/2}$ (the
# spherical-cap estimate, {cite:p}`ball1997elementary`), so by the union bound $m$ random unit vectors
# are pairwise $\varepsilon$-orthogonal with positive probability as soon as
# $\binom m2\,2e^{-d\varepsilon^2/2}<1$, e.g. for $m\le e^{d\varepsilon^2/4}$. The same geometry is behind
# the lemma: the squared length of a random projection concentrates because random directions are
# almost orthogonal to any fixed one.
#
# ```{prf:remark} Near-orthogonality from the lemma
# :label: rem-01-near-orthogonal
#
# Apply {prf:ref}`thm-01-jl` to the $2N+1$ points $0,\pm e_1,\dots,\pm e_N$ of $\mathbb{R}^N$. The
# pairs $(0,e_i)$ give $\|Ae_i\|^2\in[1-\varepsilon,1+\varepsilon]$, and the pairs $(e_i,-e_j)$ and $(e_i,e_j)$ give
# $\|A(e_i+e_j)\|^2,\|A(e_i-e_j)\|^2\in[2(1-\varepsilon),2(1+\varepsilon)]$. By polarisation,
# $\langle Ae_i,Ae_j\rangle=\tfrac14\big(\|A(e_i+e_j)\|^2-\|A(e_i-e_j)\|^2\big)\in[-\varepsilon,\varepsilon]$.
# So $N$ vectors in $k=O(\varepsilon^{-2}\ln N)$ dimensions are nearly orthogonal (cosines at most
# $\varepsilon/(1-\varepsilon)$): turned around, $N=e^{\Omega(\varepsilon^2k)}$.
# ```
#
# We count greedily: draw random unit vectors one after the other and keep each one that is
# $\varepsilon$-orthogonal to all kept so far (`course_lib.jl.near_orthogonal_count`). The count is
# a lower bound on the largest $\varepsilon$-orthogonal family.

# %%
EPS_ORTHO = 0.3
rng = np.random.default_rng(4)
counts = np.array([jl.near_orthogonal_count(d, EPS_ORTHO, rng, candidates=CANDIDATES) for d in D_ORTHO])
guaranteed = np.array([jl.near_orthogonal_union_bound(d, EPS_ORTHO) for d in D_ORTHO])
growth = np.polyfit(D_ORTHO, np.log(counts), 1)[0]

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(D_ORTHO, counts, "o-", label=f"greedy count ({CANDIDATES:,} random candidates)")
ax.plot(D_ORTHO, guaranteed, "s--", label="guaranteed by the union bound (exact cap probability)")
ax.plot(D_ORTHO, D_ORTHO, "k:", label="d (an orthonormal basis)")
ax.set(yscale="log", xlabel="dimension d", ylabel="pairwise eps-orthogonal unit vectors",
       title=f"eps = {EPS_ORTHO}")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
for d, c, g in zip(D_ORTHO, counts, guaranteed):
    print(f"d = {d:4d}: greedy {c:6d} vectors ({c / d:5.1f} d); union bound guarantees {g}")
print(f"growth rate of ln(count): {growth:.3f} per dimension")

# %% [markdown]
# Both curves rise roughly along straight lines on the logarithmic axis — exponential growth in $d$ — and the
# greedy family exceeds $d$ by a growing factor. The union-bound guarantee grows exponentially too,
# but it needs larger $d$ before it exceeds $d$: it is a worst-case count for a family drawn all at once.

# %%
assert np.all(counts > np.array(D_ORTHO)), "the eps-orthogonal family should be larger than d"
assert counts[-1] >= 3 * D_ORTHO[-1], "at the largest d the family should exceed d several times"
assert growth > 0.02 and np.all(np.diff(np.log(counts)) > 0), "the count should grow exponentially with d"
assert np.all(np.diff(np.log(guaranteed)) > 0), "the guaranteed count should grow with d"
results.record("near_orthogonal_count", int(counts[-1]), unit="vectors",
               label=f"greedy pairwise {EPS_ORTHO}-orthogonal unit vectors in R^{D_ORTHO[-1]}",
               claim="exceeds d and grows exponentially in d")
results.record("near_orthogonal_growth", growth, unit="per dimension", label="slope of ln(count) against d")
print("The count exceeds d and grows exponentially with d.")

# %% [markdown]
# ## 9. Sparse random projections
#
# Gaussian matrices are dense: drawing and applying a $k\times d$ matrix costs $O(kd)$ random numbers
# and $O(nkd)$ operations. {cite:t}`achlioptas2003database` showed that the entries
# $\sqrt{3/k}\cdot\{+1,0,-1\}$ with probabilities $\{\tfrac16,\tfrac23,\tfrac16\}$ satisfy the same
# bound (two thirds of the entries are zero), and {cite:t}`li2006very` went further with
# $\sqrt{s/k}\cdot\{+1,0,-1\}$, probabilities $\{\tfrac1{2s},1-\tfrac1s,\tfrac1{2s}\}$ and $s=\sqrt d$:
# only a fraction $1/\sqrt d$ of the entries are non-zero. All three have entries of mean 0 and variance
# $1/k$, so $\mathbb{E}\|Ax\|^2=\|x\|^2$. A short computation with the fourth moment $\mathbb{E}[a^4]=s/k^2$
# of an entry gives
#
# $$
# \operatorname{Var}\Big(\frac{\|Ax\|^2}{\|x\|^2}\Big)=\frac1k\Big(2+(s-3)\frac{\sum_j x_j^4}{\|x\|^4}\Big),
# $$
#
# with $s=3$ for Gaussian and Achlioptas entries: the very sparse matrix pays a little extra
# variance on "spiky" vectors whose energy sits on few coordinates. We compare the three kinds on
# digits (distortion) and on digits upsampled to $112\times112$ pixels, $d=12{,}544$ (time).

# %%
rng = np.random.default_rng(5)
K_SPARSE = 256
X_sp = X_mnist[:300]
i_idx, j_idx = np.triu_indices(len(X_sp), k=1)
diffs = X_sp[i_idx[::50]] - X_sp[j_idx[::50]]
kinds = ["gaussian", "achlioptas", "very_sparse"]
sparse_stats = {}
for kind in kinds:
    ratios = jl.distortions(X_sp, jl.project(X_sp, jl.projection_matrix(D, K_SPARSE, rng, kind)))
    worst = jl.max_distortion_curve(X_sp, [K_SPARSE], TRIALS_SPARSE, rng, kind=kind)[:, 0]
    predicted = np.sqrt(np.mean([jl.ratio_variance(v, K_SPARSE, kind) for v in diffs]))
    sparse_stats[kind] = dict(ratios=ratios, std=ratios.std(), predicted_std=predicted, worst=np.median(worst))

big = F.interpolate(images[:N_SPARSE], size=(112, 112), mode="bilinear", align_corners=False)
X_big = big.reshape(N_SPARSE, -1).double().numpy()
timings = jl.projection_timings(X_big, 512, rng, kinds=kinds, repeats=course_lib.by_profile(ci=1, default=2, full=3))
speedup = timings["gaussian"]["total_s"] / timings["very_sparse"]["total_s"]

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for kind in kinds:
    axes[0].hist(sparse_stats[kind]["ratios"], bins=70, density=True, histtype="step", lw=1.5, label=kind)
axes[0].set(xlabel="distortion ratio", ylabel="density", title=f"{len(X_sp)} digits, k = {K_SPARSE}")
axes[0].legend(fontsize=8)
bottom = np.zeros(len(kinds))
for part, color in [("draw_s", "tab:orange"), ("project_s", "tab:blue")]:
    vals = np.array([timings[k][part] for k in kinds])
    axes[1].bar(kinds, vals, bottom=bottom, color=color, label={"draw_s": "draw the matrix", "project_s": "project"}[part])
    bottom += vals
axes[1].set(ylabel="seconds (best of repeats)", title=f"{N_SPARSE} images with d = {X_big.shape[1]:,} to k = 512")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
for kind in kinds:
    s = sparse_stats[kind]
    print(f"{kind:12s} std of ratios {s['std']:.4f} (predicted {s['predicted_std']:.4f}), median largest distortion "
          f"{s['worst']:.3f}; non-zeros {timings[kind]['nnz_fraction']:.2%}; time {timings[kind]['total_s']:.3f} s")
print(f"very sparse vs Gaussian: {speedup:.1f} times faster (draw + project)")

# %%
g = sparse_stats["gaussian"]
for kind in ["achlioptas", "very_sparse"]:
    s = sparse_stats[kind]
    assert abs(s["std"] / g["std"] - 1) < 0.25, f"{kind}: spread of the ratios should be comparable to the Gaussian map's"
    assert s["worst"] < 1.35 * g["worst"], f"{kind}: largest distortion should be comparable to the Gaussian map's"
    assert abs(s["std"] / s["predicted_std"] - 1) < 0.25, f"{kind}: measured spread should match the variance formula"
assert abs(timings["very_sparse"]["nnz_fraction"] * np.sqrt(X_big.shape[1]) - 1) < 0.05, "very sparse: density 1/sqrt(d)"
results.record("sparse_std_ratio", float(sparse_stats["very_sparse"]["std"] / g["std"]), unit="ratio",
               label=f"std of distortion ratios, very sparse / Gaussian, k = {K_SPARSE}", claim="close to 1")
results.record("sparse_speedup", float(speedup), unit="times",
               label=f"time to draw and apply: Gaussian / very sparse, d = {X_big.shape[1]}, k = 512, n = {N_SPARSE}")
print("The sparse maps distort as little as the Gaussian one.")

# %% [markdown]
# The three histograms coincide and the measured spreads match the variance formula. The very sparse
# matrix needs only a fraction $1/\sqrt d$ of the random numbers and of the multiplications, so it is
# drawn and applied faster. Achlioptas' matrix is stored densely here: at density $1/3$ a sparse
# format does not pay against optimised dense matrix products (its appeal is that it needs only
# random signs and additions, e.g. inside a database). How large the speed-up is depends on the
# machine, so the notebook records it but asserts nothing about it.
#
# ## 10. Nearest neighbours after projecting
#
# Finally a task: classify the 2,000 evaluation digits by their nearest neighbour among the 8,000
# training digits (one neighbour, Euclidean distance; the number of neighbours is fixed in advance,
# not tuned on the evaluation images). One random matrix, drawn without looking at any image, maps
# both sets to $k$ dimensions. (In the `ci` profile subsets are used.)

# %%
rng = np.random.default_rng(6)
tr = rng.choice(len(X_train), N_KNN_TRAIN, replace=False)
ev = rng.choice(len(X_eval), N_KNN_EVAL, replace=False)
acc_full = jl.knn_accuracy(X_train[tr], y_train[tr], X_eval[ev], y_eval[ev])
ks_knn = [5, 10, 20, 50, 100, 200, 400]
acc = np.array([[jl.projected_knn_accuracy(X_train[tr], y_train[tr], X_eval[ev], y_eval[ev], k,
                                           np.random.default_rng([6, k, s])) for k in ks_knn]
                for s in range(SEEDS_KNN)])
acc_mean = acc.mean(axis=0)

fig, ax = plt.subplots(figsize=(7, 4))
for row in acc:
    ax.plot(ks_knn, row, ".", color="tab:blue", alpha=0.4)
ax.plot(ks_knn, acc_mean, "o-", color="tab:blue", label=f"after projecting to k (mean of {SEEDS_KNN} random map{'s' if SEEDS_KNN > 1 else ''})")
ax.axhline(acc_full, color="k", ls="--", label=f"unprojected, d = 784: {acc_full:.3f}")
ax.set(xscale="log", xlabel="target dimension k", ylabel="1-NN accuracy",
       title=f"MNIST: {N_KNN_TRAIN} training, {N_KNN_EVAL} evaluation digits")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()
for k, a in zip(ks_knn, acc_mean):
    print(f"k = {k:4d}: accuracy {a:.3f} ({a - acc_full:+.3f} against unprojected)")

# %% [markdown]
# Nearest-neighbour classification needs much less than the lemma: not all distances within
# $1\pm\varepsilon$, only that the nearest training digit stays (almost) nearest. With $k=100$ —
# an eighth of the pixels, and far below the bound $k\ge7{,}704$ for 8,000 points at
# $\varepsilon=0.1$ — the accuracy is within a couple of points of the unprojected one.

# %%
acc_100 = float(acc_mean[ks_knn.index(100)])
acc_200 = float(acc_mean[ks_knn.index(200)])
assert acc_full > 0.85, f"1-NN on MNIST should be accurate; got {acc_full:.3f}"
assert acc_200 >= acc_full - 0.03, f"k = 200: {acc_200:.3f} is not within 3 points of {acc_full:.3f}"
assert acc_100 >= acc_full - 0.05, f"k = 100: {acc_100:.3f} is not within 5 points of {acc_full:.3f}"
assert acc_mean[0] < acc_mean[3] < acc_200 + 0.01, "accuracy should rise with k"
results.record("knn_acc_unprojected", acc_full, unit="accuracy", label="1-NN accuracy, d = 784")
results.record("knn_acc_k100", acc_100, unit="accuracy", label="1-NN accuracy after a Gaussian map to k = 100",
               claim="within 5 points of unprojected")
results.record("knn_acc_k200", acc_200, unit="accuracy", label="1-NN accuracy after a Gaussian map to k = 200",
               claim="within 3 points of unprojected")
results.record("knn_acc_k20", float(acc_mean[ks_knn.index(20)]), unit="accuracy", label="1-NN accuracy, k = 20")
print("Nearest neighbours survive a random projection to a few hundred dimensions.")

# %% [markdown]
# ## Summary
#
# - The Johnson–Lindenstrauss lemma ({prf:ref}`thm-01-jl`): for $n$ points and
#   $k\ge24\ln n/(3\varepsilon^2-2\varepsilon^3)$, a linear map to $\mathbb{R}^k$ keeps every **squared**
#   distance within a factor $1\pm\varepsilon$. The dimension $d$ plays no role.
# - The Gaussian map $A=M/\sqrt k$ does it with probability **at least $1/n$**; the proof is a
#   Chernoff bound for $\chi^2_k$ — moment generating function, Markov's inequality for a
#   non-negative variable, $t=\varepsilon/(2(1+\varepsilon))$, a separate lower tail — and a union bound over the
#   $n(n-1)/2$ pairs. Repeating the draw finds a good map after at most $n$ draws on average; at the
#   bound one draw almost always suffices (measured success rate near 1).
# - Each distortion ratio of the Gaussian map is exactly $\chi^2_k/k$, whatever the data; the
#   largest one over all pairs decays like $\sqrt{\ln n/k}$. On MNIST the bound asks for roughly 1.5
#   times the $k$ that is actually needed, and scikit-learn's `johnson_lindenstrauss_min_dim` is its
#   floor rather than its ceiling.
# - High dimension has room for exponentially many nearly orthogonal directions — the geometry
#   behind the lemma.
# - Sparse sign matrices (Achlioptas; Li, Hastie and Church) distort as little and are much cheaper.
# - A random projection to $k\approx100$–$200$ keeps nearest-neighbour classification of digits within a
#   few points of the full 784 dimensions.
# - What the lemma does *not* say: it does not explain learned encoders of convolutional networks,
#   and it needs no low-dimensional structure of the data.

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```
#
# - Achlioptas, D. (2003). Database-friendly random projections: Johnson–Lindenstrauss with binary
#   coins. *Journal of Computer and System Sciences* 66(4), 671–687.
# - Ball, K. (1997). An elementary introduction to modern convex geometry. In *Flavors of Geometry*,
#   MSRI Publications 31, 1–58.
# - Baraniuk, R., Davenport, M., DeVore, R., Wakin, M. (2008). A simple proof of the restricted
#   isometry property for random matrices. *Constructive Approximation* 28(3), 253–263.
# - Baraniuk, R. G., Wakin, M. B. (2009). Random projections of smooth manifolds. *Foundations of
#   Computational Mathematics* 9(1), 51–77.
# - Bingham, E., Mannila, H. (2001). Random projection in dimensionality reduction: applications to
#   image and text data. *Proceedings of KDD 2001*, 245–250.
# - Cybenko, G. (1989). Approximation by superpositions of a sigmoidal function. *Mathematics of
#   Control, Signals and Systems* 2(4), 303–314.
# - Dasgupta, S., Gupta, A. (2003). An elementary proof of a theorem of Johnson and Lindenstrauss.
#   *Random Structures & Algorithms* 22(1), 60–65.
# - Hornik, K. (1991). Approximation capabilities of multilayer feedforward networks. *Neural
#   Networks* 4(2), 251–257.
# - Indyk, P., Motwani, R. (1998). Approximate nearest neighbors: towards removing the curse of
#   dimensionality. *Proceedings of STOC 1998*, 604–613.
# - Johnson, W. B., Lindenstrauss, J. (1984). Extensions of Lipschitz mappings into a Hilbert space.
#   *Contemporary Mathematics* 26, 189–206.
# - Larsen, K. G., Nelson, J. (2017). Optimality of the Johnson–Lindenstrauss lemma. *Proceedings of
#   FOCS 2017*, 633–638.
# - Li, P., Hastie, T. J., Church, K. W. (2006). Very sparse random projections. *Proceedings of
#   KDD 2006*, 287–296.
# - Pedregosa, F. et al. (2011). Scikit-learn: machine learning in Python. *Journal of Machine
#   Learning Research* 12, 2825–2830.
# - Zhou, D.-X. (2020). Universality of deep convolutional neural networks. *Applied and
#   Computational Harmonic Analysis* 48(2), 787–794.
