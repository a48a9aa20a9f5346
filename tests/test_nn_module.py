"""nn.Module and nn.Parameter: registration, names, traversal, modes, state dicts, dtype, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from autograd.grad_mode import STATE


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))
        self.scale = nn.Parameter(np.array([2.0]))

    def forward(self, x: Tensor) -> Tensor:
        return self.body(self.act(self.fc1(x))) * self.scale


def test_parameters_are_registered_in_order_with_dotted_names() -> None:
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert [p.shape for p in net.parameters()] == [(1,), (4, 3), (4,), (4, 4), (4,), (2, 4), (2,)]
    assert list(dict(net.named_parameters())) == list(net.state_dict())
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_children_and_modules() -> None:
    net = Net()
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "body"]
    assert list(net.children()) == [net.fc1, net.act, net.body]
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "fc1", "act", "body", "body.0", "body.1", "body.2"]
    assert next(iter(net.modules())) is net


def test_shared_parameters_and_modules_are_listed_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3
    # As in PyTorch, the state dict keeps every name of a tied tensor, so it loads back strictly.
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.load_state_dict(model.state_dict())

    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_unknown_attribute_raises_attribute_error() -> None:
    net = Net()
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc9'"):
        net.fc9  # noqa: B018
    assert not hasattr(net, "missing")


def test_assigning_a_plain_tensor_to_a_parameter_name_is_an_error() -> None:
    lin = nn.Linear(2, 3)
    before = lin.weight
    with pytest.raises(TypeError, match="'weight'"):
        lin.weight = Tensor(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="'bias'"):
        lin.bias = np.zeros(3)
    assert lin.weight is before
    lin.bias = None  # allowed: an absent parameter, as bias=False
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    new = nn.Parameter(np.ones((3, 2)))
    lin.weight = new
    assert lin.weight is new and next(lin.parameters()) is new


def test_reassigning_a_name_moves_it_between_registries() -> None:
    m = nn.Module()
    m.thing = nn.Linear(1, 1)
    assert [n for n, _ in m.named_children()] == ["thing"]
    m.thing = nn.Parameter(np.zeros(2))
    assert list(m.children()) == [] and [n for n, _ in m.named_parameters()] == ["thing"]
    m.sub = nn.ReLU()
    with pytest.raises(TypeError, match="child module 'sub'"):
        m.sub = 3
    del m.thing
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError):
        m.thing  # noqa: B018


def test_assigning_before_init_is_a_clear_error() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_register_names_are_validated() -> None:
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", nn.Parameter(np.zeros(1)))
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("a", Tensor(np.zeros(1)))
    m.register_parameter("a", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("a", Tensor(np.zeros(1)))


def test_parameter_is_a_leaf_tensor_requiring_grad() -> None:
    p = nn.Parameter(np.array([1.0, 2.0]))
    assert isinstance(p, Tensor) and p.is_leaf and p.requires_grad
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    t = Tensor(np.arange(3.0))
    shared = nn.Parameter(t)
    assert shared.data is t.data  # shares, as torch.nn.Parameter
    assert repr(p).startswith("Parameter containing:\nTensor(")
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(np.array([1, 2]))


def test_call_runs_forward_inside_the_module_scope() -> None:
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(STATE.scope)
            if x is None:
                raise ValueError("boom")
            return x * 2

    inner = Probe()
    outer = nn.Sequential(inner)
    x = Tensor(np.ones(2), requires_grad=True)
    y = outer(x)
    assert seen[-1] == (outer, inner) and STATE.scope == ()
    assert y.grad_fn.scope == (outer, inner)
    with pytest.raises(ValueError, match="boom"):
        outer(None)
    assert STATE.scope == ()


def test_forward_is_required() -> None:
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_train_and_eval_reach_every_submodule() -> None:
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_zero_grad_sets_gradients_to_none() -> None:
    net = Net()
    net(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(Tensor(np.ones((2, 3)))).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())


def test_apply_visits_children_before_parents() -> None:
    net = Net()
    order = []
    net.apply(lambda m: order.append(m))
    assert order == [net.fc1, net.act, net.body[0], net.body[1], net.body[2], net.body, net]


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_is_an_ordered_copy() -> None:
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["fc1.weight"][...] = 123.0
    assert not np.any(net.fc1.weight.data == 123.0)


def test_state_dict_round_trip_gives_the_same_model() -> None:
    a, b = Net(), Net()
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)))
    assert not np.allclose(a(x).data, b(x).data)
    arrays = {id(p): p.data for p in b.parameters()}
    params = list(b.parameters())
    missing, unexpected = b.load_state_dict(a.state_dict())
    assert missing == [] and unexpected == []
    np.testing.assert_array_equal(a(x).data, b(x).data)
    # copied in place: same Parameter objects, same arrays
    assert all(p is q for p, q in zip(b.parameters(), params))
    assert all(p.data is arrays[id(p)] for p in b.parameters())


def test_load_state_dict_casts_to_the_parameter_dtype() -> None:
    lin = nn.Linear(2, 2, dtype=np.float32)
    sd = {"weight": np.arange(4.0).reshape(2, 2), "bias": np.array([1, 2])}
    lin.load_state_dict(sd)
    assert lin.weight.dtype == np.float32 and lin.bias.dtype == np.float32
    np.testing.assert_array_equal(lin.bias.data, [1.0, 2.0])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda sd: sd.pop("body.0.bias"), r"Missing key\(s\) in state_dict: 'body.0.bias'"),
        (lambda sd: sd.__setitem__("body.9.weight", np.zeros(2)), r"Unexpected key\(s\) in state_dict: 'body.9.weight'"),
        (lambda sd: sd.__setitem__("fc1.weight", np.zeros((3, 4))),
         r"size mismatch for 'fc1.weight': copying an array of shape \(3, 4\).*model is \(4, 3\)"),
        (lambda sd: sd.__setitem__("scale", np.array(["a"])), r"'scale' holds <U1 data"),
    ],
)
def test_bad_state_dict_is_refused_and_changes_nothing(edit, message) -> None:
    src, dst = Net(), Net()
    before = {k: v.copy() for k, v in dst.state_dict().items()}
    sd = src.state_dict()
    edit(sd)
    with pytest.raises(RuntimeError, match=message):
        dst.load_state_dict(sd)
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=f"{k} changed by a refused load")


def test_load_state_dict_lists_every_problem_at_once() -> None:
    net = Net()
    sd = net.state_dict()
    sd.pop("fc1.bias")
    sd["extra"] = np.zeros(1)
    sd["scale"] = np.zeros(3)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    text = str(info.value)
    assert "'fc1.bias'" in text and "'extra'" in text and "size mismatch for 'scale'" in text


def test_non_strict_load_reports_keys_and_loads_the_rest() -> None:
    src, dst = Net(), Net()
    sd = src.state_dict()
    sd.pop("fc1.bias")
    sd["head.weight"] = np.zeros(2)
    missing, unexpected = dst.load_state_dict(sd, strict=False)
    assert missing == ["fc1.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(dst.fc1.weight.data, src.fc1.weight.data)
    assert not np.array_equal(dst.fc1.bias.data, src.fc1.bias.data)
    sd["scale"] = np.zeros(2)
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even when not strict
        dst.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="mapping"):
        dst.load_state_dict([("scale", np.zeros(1))])


def test_load_state_dict_bumps_versions_so_stale_graphs_refuse_backward() -> None:
    lin = nn.Linear(2, 1)
    out = lin(Tensor(np.ones((1, 2)))).sum()
    lin.load_state_dict(nn.Linear(2, 1).state_dict())
    with pytest.raises(RuntimeError, match="in-place"):
        out.backward()


def test_buffers_are_saved_but_not_trained() -> None:
    m = nn.Linear(2, 2)
    m.register_buffer("running", Tensor(np.ones(2)))
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert list(m.state_dict()) == ["weight", "bias", "running"]
    assert [n for n, _ in m.named_buffers()] == ["running"]
    m.to(np.float32)
    assert m.running.dtype == np.float32


# ----------------------------------------------------------------------------- dtype and repr
def test_to_converts_parameters_in_place_keeping_identity() -> None:
    net = Net()
    net(Tensor(np.ones((1, 3)))).sum().backward()
    params = list(net.parameters())
    assert net.to(np.float32) is net
    assert all(p is q for p, q in zip(net.parameters(), params))
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())
    out = net(Tensor(np.ones((2, 3), dtype=np.float32)))
    assert out.dtype == np.float32
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    with pytest.raises(TypeError, match="floating"):
        net.to(np.int32)


def test_repr_matches_pytorch_layout() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.LeakyReLU(), nn.Sequential(nn.Linear(2, 1, bias=False), nn.Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=2, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.01)\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=1, bias=False)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )

    class WithExtra(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Identity()

        def extra_repr(self) -> str:
            return "k=3"

    assert repr(WithExtra()) == "WithExtra(\n  k=3\n  (head): Identity()\n)"


def test_requires_grad_toggle_and_grad_free_forward() -> None:
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with autograd.no_grad():
        assert net(Tensor(np.ones((1, 3)))).grad_fn is None


def test_deepcopy_gives_an_independent_model() -> None:
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert all(isinstance(p, nn.Parameter) for p in twin.parameters())
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    x = Tensor(np.ones((2, 3)))
    np.testing.assert_array_equal(twin(x).data, net(x).data)
    with autograd.no_grad():
        twin.fc1.weight.mul_(0.0)
    assert net.fc1.weight.data.any()
