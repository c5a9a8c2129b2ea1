using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends;

/// <summary>
/// The memory one request takes while it is read and decoded: its body (counted after decompression),
/// the parser's own structures, and the tensors it declares. Each part is reserved against the
/// server's bound on request bytes (<c>scheduling.max_in_flight_bytes</c>, the same bound the queues
/// use) before it is allocated, and the tensors are checked against <c>server.max_tensor_bytes</c>
/// before they are materialised. Disposing gives every reserved byte back; a frontend does so once the
/// request is decoded, when the schedulers' own reservation takes over.
/// </summary>
internal sealed class RequestMemory : IDisposable
{
    private readonly MemoryBudget? _budget;
    private readonly MemoryReturn? _return;
    private long _reserved;
    private long _total;

    /// <param name="budget">The server's bound on request bytes; null for none.</param>
    /// <param name="maxTensorBytes"><c>server.max_tensor_bytes</c>.</param>
    /// <param name="memoryReturn">Told, on dispose, how much the request reserved, so that a large one's memory goes back to the system.</param>
    public RequestMemory(MemoryBudget? budget, long maxTensorBytes, MemoryReturn? memoryReturn = null)
    {
        _budget = budget;
        MaxTensorBytes = maxTensorBytes;
        _return = memoryReturn;
    }

    /// <summary>No shared bound, only the default per-tensor one: for tests and tools that decode alone.</summary>
    public static RequestMemory Default { get; } = Unbounded(new Hosting.ServerOptions().MaxTensorBytes);

    /// <summary>No shared bound, only the per-tensor one: for tests and tools that decode alone.</summary>
    public static RequestMemory Unbounded(long maxTensorBytes) => new(null, maxTensorBytes);

    /// <summary><c>server.max_tensor_bytes</c>.</summary>
    public long MaxTensorBytes { get; }

    /// <summary>The bytes this request holds reserved now.</summary>
    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/> more for <paramref name="what"/>; an error (503) when the server's bound is reached.</summary>
    public InferenceError? Reserve(long bytes, string what)
    {
        if (bytes <= 0 || _budget is null)
        {
            return null;
        }

        if (Reserved + bytes > _budget.Limit)
        {
            return new InferenceError(
                InferenceErrorKind.ResourceExhausted,
                $"{what} needs {Reserved + bytes} bytes of memory, more than the server's bound for all requests together (scheduling.max_in_flight_bytes = {_budget.Limit})");
        }

        if (!_budget.TryReserve(bytes))
        {
            return new InferenceError(
                InferenceErrorKind.ResourceExhausted,
                $"the server holds {_budget.Used} bytes of requests, its bound (scheduling.max_in_flight_bytes = {_budget.Limit}), and {what} needs {bytes} more; retry later");
        }

        Interlocked.Add(ref _reserved, bytes);
        Interlocked.Add(ref _total, bytes);
        return null;
    }

    /// <summary>Gives back <paramref name="bytes"/> of what this request reserved, when it will not take them after all.</summary>
    public void Release(long bytes)
    {
        if (bytes <= 0 || _budget is null)
        {
            return;
        }

        Interlocked.Add(ref _reserved, -bytes);
        Interlocked.Add(ref _total, -bytes);
        _budget.Release(bytes);
    }

    /// <summary>
    /// Checks a declared tensor against <see cref="MaxTensorBytes"/> and reserves what decoding it will
    /// allocate (<paramref name="allocatedBytes"/>, which is 0 for a tensor that is a slice of the body).
    /// </summary>
    public InferenceError? ReserveTensor(string inputName, DataType type, ReadOnlySpan<long> shape, long decodedBytes, long allocatedBytes)
        => RequestLimits.CheckTensorSize(inputName, type, shape, decodedBytes, MaxTensorBytes)
            ?? Reserve(allocatedBytes, $"input '{EchoText.Value(inputName)}'");

    public void Dispose()
    {
        var reserved = Interlocked.Exchange(ref _reserved, 0);
        if (reserved > 0)
        {
            _budget!.Release(reserved);
        }

        _return?.Released(Interlocked.Exchange(ref _total, 0));
    }
}
