namespace Usher.Backends.Onnx.Distillation;

/// <summary>One epoch of training.</summary>
/// <param name="Epoch">Its number, from 1.</param>
/// <param name="Loss">The mean distillation loss over the epoch's training batches.</param>
/// <param name="HeldOutLoss">The loss on the held-out rows after the epoch.</param>
/// <param name="HeldOutAgreement">The share of held-out rows whose arg-max matches the targets'.</param>
internal sealed record EpochResult(int Epoch, double Loss, double HeldOutLoss, double HeldOutAgreement);
