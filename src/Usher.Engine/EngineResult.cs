using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Engine;

/// <summary>
/// The answer to one <see cref="UsherEngine.InferAsync(string, InferenceInput, CancellationToken)"/>:
/// the outputs by name, which version answered, and where the time went. Dispose it when done
/// reading: the spans it hands out are not to be used after that.
/// </summary>
public sealed class EngineResult : IDisposable
{
    private readonly InferenceResponse _response;
    private bool _disposed;

    internal EngineResult(InferenceResponse response) => _response = response;

    /// <summary>The model that answered.</summary>
    public string ModelName => _response.ModelName;

    /// <summary>The version that answered.</summary>
    public long ModelVersion => _response.ModelVersion;

    /// <summary>The outputs' names, in the order they were asked for (model order when all were).</summary>
    public IReadOnlyList<string> OutputNames => [.. _response.Outputs.Select(o => o.Name)];

    /// <summary>How long the request waited in the batcher's queue.</summary>
    public TimeSpan QueueTime => _response.Timings.Queue;

    /// <summary>How long the backend ran the batch the request was part of.</summary>
    public TimeSpan ComputeTime => _response.Timings.Compute;

    /// <summary>True when the prediction cache answered.</summary>
    public bool CacheHit => _response.Timings.CacheHit;

    /// <summary>The elements of output <paramref name="name"/>, row-major.</summary>
    /// <exception cref="KeyNotFoundException">When the result has no such output.</exception>
    /// <exception cref="InvalidCastException">When <typeparamref name="T"/> does not hold the output's datatype.</exception>
    public ReadOnlySpan<T> Output<T>(string name)
        where T : unmanaged
    {
        var tensor = Find(name);
        if (!ElementTypes.Holds<T>(tensor.DataType))
        {
            throw new InvalidCastException(
                $"output '{name}' is {tensor.DataType.ToProtocolName()}: read it as {ElementTypes.ClrName(tensor.DataType)}, not {typeof(T).Name}");
        }

        return tensor.AsSpan<T>();
    }

    /// <summary>The concrete shape of output <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">When the result has no such output.</exception>
    public IReadOnlyList<long> Shape(string name) => Find(name).Shape;

    /// <inheritdoc />
    public void Dispose() => _disposed = true;

    private Tensor Find(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var output in _response.Outputs)
        {
            if (output.Name == name)
            {
                return output;
            }
        }

        throw new KeyNotFoundException($"the result of model '{ModelName}' has no output '{name}'; it has {string.Join(", ", OutputNames.Select(n => $"'{n}'"))}");
    }
}
