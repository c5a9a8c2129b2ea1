using Usher.Core.Tensors;

namespace Usher.Core.Inference;

/// <summary>The answer to one <see cref="InferenceRequest"/>.</summary>
internal sealed class InferenceResponse
{
    private static readonly IReadOnlyDictionary<string, object> NoParameters = new Dictionary<string, object>();

    /// <summary>The model that answered.</summary>
    public required string ModelName { get; init; }

    /// <summary>The version that answered.</summary>
    public required long ModelVersion { get; init; }

    /// <summary>The request's id, if it had one.</summary>
    public string? Id { get; init; }

    /// <summary>Response parameters.</summary>
    public IReadOnlyDictionary<string, object> Parameters { get; init; } = NoParameters;

    /// <summary>Queue and compute time of this request.</summary>
    public InferenceTimings Timings { get; init; }

    /// <summary>The outputs, in the order they were asked for (model order when all were).</summary>
    public required IReadOnlyList<Tensor> Outputs { get; init; }
}
