import pytest
import torch

from lstmcast.network.model import LSTMNet


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "relu", "softsign"])
@pytest.mark.parametrize("head", ["linear", "mlp"])
def test_output_shape(bidirectional, activation, head):
    net = LSTMNet(3, 8, 2, dropout=0.1, bidirectional=bidirectional,
                  cell_activation=activation, head=head, output_size=4)
    assert net(torch.randn(5, 11, 3)).shape == (5, 4)


def test_custom_cell_with_tanh_equals_builtin_lstm():
    torch.manual_seed(0)
    fast = LSTMNet(2, 6, 2, bidirectional=True)
    slow = LSTMNet(2, 6, 2, bidirectional=True, cell_activation="linear")
    slow.lstm.act = torch.tanh  # same maths as nn.LSTM once the activation is tanh
    slow.load_state_dict(fast.state_dict())
    x = torch.randn(4, 9, 2)
    torch.testing.assert_close(fast(x), slow(x), rtol=1e-5, atol=1e-6)


def test_bidirectional_reads_the_backward_direction_over_the_whole_window():
    torch.manual_seed(0)
    net = LSTMNet(1, 4, bidirectional=True).eval()
    x = torch.randn(1, 10, 1)
    y = x.clone()
    y[:, 0] += 5.0  # only the first step changes: the backward summary must see it
    assert not torch.allclose(net(x), net(y))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"hidden_size": 0}, ValueError, "'hidden_size' parameter must be an int >= 1"),
        ({"hidden_size": 2.5}, TypeError, "'hidden_size' parameter must be an int"),
        ({"dropout": 1.0}, ValueError, "'dropout' parameter must be in"),
        ({"cell_activation": "swish"}, ValueError, "'cell_activation' parameter"),
        ({"head": "deep"}, ValueError, "'head' parameter must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        LSTMNet(2, **kwargs)


def test_linear_skip_path_reads_only_the_target_channel_relative_to_last_value():
    net = LSTMNet(2, 4, skip_window=3).eval()
    with torch.no_grad():
        net.head.weight.zero_()
        net.head.bias.zero_()
        net.skip.weight.copy_(torch.tensor([[1.0, 2.0, 0.0]]))
    x = torch.zeros(1, 5, 2)
    x[0, :, 0] = torch.tensor([9.0, 9.0, 1.0, 2.0, 3.0])
    x[0, :, 1] = 100.0  # other features do not enter the linear path
    # last three target values relative to the last: (-2, -1, 0) -> 1*-2 + 2*-1
    assert net(x).item() == pytest.approx(-4.0)
    shifted = x.clone()
    shifted[0, :, 0] += 50.0  # relative inputs: a level shift changes nothing
    assert net(shifted).item() == pytest.approx(-4.0)


def test_inference_batch_keeps_activations_bounded():
    """The no-grad batch shrinks as window x width grows (8,192 windows of 512
    steps through hidden 64 took 2.4 GB) and stays within 64..8,192."""
    from lstmcast.network.model import (
        ACTIVATION_BUDGET,
        BYTES_PER_UNIT_STEP,
        inference_batch,
    )
    small, wide = LSTMNet(1, 8, 1), LSTMNet(1, 64, 2, bidirectional=True)
    assert inference_batch(small, 24) == 8192
    big = inference_batch(wide, 512)
    assert 64 <= big < 8192
    assert big * 512 * 64 * 2 * 2 * BYTES_PER_UNIT_STEP <= ACTIVATION_BUDGET
    assert inference_batch(LSTMNet(1, 256, 3), 4096) == 64
