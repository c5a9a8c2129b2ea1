using System.Collections.Concurrent;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// One gate per endpoint: a tick and an operator's action on the same endpoint never interleave,
/// while a slow model load or a blue-green replay on one endpoint holds only that endpoint's gate, so
/// other endpoints' ticks and rollbacks go on.
/// </summary>
internal sealed class EndpointGates
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private volatile bool _closed;

    /// <summary>Waits for the endpoint's gate.</summary>
    /// <exception cref="ObjectDisposedException">The gates are closed (the controller is disposed).</exception>
    public async Task<Lease> EnterAsync(string endpoint, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var gate = _gates.GetOrAdd(endpoint, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_closed)
        {
            gate.Release();
            throw new ObjectDisposedException(nameof(EndpointGates));
        }

        return new Lease(gate);
    }

    /// <summary>The endpoint's gate when it is free now, else null (the endpoint is busy: a tick skips it).</summary>
    public Lease? TryEnter(string endpoint)
    {
        if (_closed)
        {
            return null;
        }

        var gate = _gates.GetOrAdd(endpoint, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            return null;
        }

        if (_closed)
        {
            gate.Release();
            return null;
        }

        return new Lease(gate);
    }

    /// <summary>Refuses new entries, then waits for the work in progress and keeps every gate taken.</summary>
    public async Task CloseAsync()
    {
        _closed = true;
        foreach (var gate in _gates.Values)
        {
            await gate.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A held gate; disposing it lets the next one in.</summary>
    public sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
