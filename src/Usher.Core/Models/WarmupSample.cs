namespace Usher.Core.Models;

/// <summary>
/// One entry of <c>warmup</c>: a request run <see cref="Count"/> times before the version reports
/// ready. Inputs not listed get zeros shaped from the model's metadata (variable dims = 1, the batch
/// dimension = <see cref="BatchSize"/>).
/// </summary>
/// <param name="Name">A label for logs.</param>
/// <param name="BatchSize">The batch size of the warm-up request (batched models only); default 1.</param>
/// <param name="Count">How many times to run it; default 1.</param>
/// <param name="Inputs">Per-input data, by input name.</param>
internal sealed record WarmupSample(string Name, int BatchSize, int Count, IReadOnlyDictionary<string, WarmupInput> Inputs);

/// <summary>How one warm-up input is filled.</summary>
/// <param name="Kind">Zeros, random values, or the literal <paramref name="Values"/>.</param>
/// <param name="Dims">The dims without the batch dimension, or null to derive them from the model.</param>
/// <param name="Values">The flat literal values when <paramref name="Kind"/> is <see cref="WarmupData.Values"/>.</param>
internal sealed record WarmupInput(WarmupData Kind, long[]? Dims = null, IReadOnlyList<double>? Values = null);

/// <summary>How warm-up data is made.</summary>
internal enum WarmupData
{
    /// <summary>All zeros (empty strings for BYTES).</summary>
    Zeros,
    /// <summary>Pseudo-random values from a fixed seed.</summary>
    Random,
    /// <summary>The values given in the config.</summary>
    Values,
}
