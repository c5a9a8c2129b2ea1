namespace Usher.Backends.Onnx.Quantization;

/// <summary>How <see cref="ModelComparison"/> measures.</summary>
/// <param name="IntraOpThreads">ONNX Runtime threads per run; default 1 (steady numbers on a shared machine).</param>
/// <param name="AccuracyRows">Generated rows the outputs are compared on; default 1024.</param>
/// <param name="TimePerPoint">How long each model runs at each batch size; default 1 s.</param>
/// <param name="Batches">The batch sizes measured when the model has a variable batch dimension; default 1, 8, 32, 64.</param>
/// <param name="Seed">The seed of generated inputs; default 1.</param>
/// <param name="Candidate">What the errors call the model compared with the original: "the quantized model" by default, "the student model" for a distilled one.</param>
internal sealed record ComparisonSettings(
    int IntraOpThreads = 1,
    int AccuracyRows = 1024,
    TimeSpan? TimePerPoint = null,
    IReadOnlyList<int>? Batches = null,
    int Seed = 1,
    string Candidate = "the quantized model")
{
    /// <summary>The time per point, defaulted.</summary>
    public TimeSpan Time => TimePerPoint ?? TimeSpan.FromSeconds(1);

    /// <summary>The batch sizes, defaulted.</summary>
    public IReadOnlyList<int> BatchSizes => Batches ?? [1, 8, 32, 64];
}
