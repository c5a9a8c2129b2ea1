using Usher.Core.Tensors;

namespace Usher.Core.Inference;

/// <summary>
/// One inference request, decoded from any frontend. Parameter values are <see cref="bool"/>,
/// <see cref="long"/>, <see cref="ulong"/>, <see cref="double"/> or <see cref="string"/>.
/// </summary>
internal sealed class InferenceRequest
{
    private static readonly IReadOnlyDictionary<string, object> NoParameters = new Dictionary<string, object>();

    /// <summary>The model (endpoint) name from the URL or RPC.</summary>
    public required string ModelName { get; init; }

    /// <summary>The version the client pinned, or null to let the server choose.</summary>
    public long? ModelVersion { get; init; }

    /// <summary>The client's request id, echoed in the response.</summary>
    public string? Id { get; init; }

    /// <summary>Request parameters (<c>priority</c>, <c>timeout</c>, ...).</summary>
    public IReadOnlyDictionary<string, object> Parameters { get; init; } = NoParameters;

    /// <summary>The input tensors, in the order the client sent them.</summary>
    public required IReadOnlyList<Tensor> Inputs { get; init; }

    /// <summary>The outputs asked for, or null for every output of the model.</summary>
    public IReadOnlyList<RequestedOutput>? Outputs { get; init; }
}
