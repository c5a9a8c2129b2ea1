namespace Usher.Backends.Onnx.Distillation;

/// <summary>The outcome of <see cref="StudentTrainer.Train"/>.</summary>
/// <param name="Network">The best network (by held-out agreement), taking raw inputs.</param>
/// <param name="Epochs">Every epoch run, in order.</param>
/// <param name="BestEpoch">The epoch whose weights were kept.</param>
/// <param name="HeldOut">The held-out rows' indices into the data, in order.</param>
internal sealed record TrainedStudent(MlpNetwork Network, IReadOnlyList<EpochResult> Epochs, int BestEpoch, IReadOnlyList<int> HeldOut)
{
    /// <summary>The kept epoch's result.</summary>
    public EpochResult Best => Epochs[BestEpoch - 1];
}
