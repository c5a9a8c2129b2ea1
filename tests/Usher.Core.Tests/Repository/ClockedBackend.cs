using Microsoft.Extensions.Time.Testing;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// A backend whose runs take <see cref="RunTime"/> of fake time (the real run, then the clock moves)
/// and can be held at a gate before they run, so that a test sees batches in flight.
/// </summary>
internal sealed class ClockedBackend(IModelBackend inner, FakeTimeProvider time) : IModelBackend
{
    private readonly ManualResetEventSlim _gate = new(initialState: true);
    private int _running;

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    public FakeTimeProvider Time => time;

    public TimeSpan RunTime { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs inside the backend now (held at the gate or running).</summary>
    public int Running => Volatile.Read(ref _running);

    public void Hold() => _gate.Reset();

    public void Release() => _gate.Set();

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
        => new Clocked(await inner.LoadAsync(context, cancellationToken), this);

    private sealed class Clocked(IBackendSession session, ClockedBackend owner) : IBackendSession
    {
        public IReadOnlyList<TensorSpec> Inputs => session.Inputs;

        public IReadOnlyList<TensorSpec> Outputs => session.Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
        {
            Interlocked.Increment(ref owner._running);
            try
            {
                owner._gate.Wait(TimeSpan.FromSeconds(30));
                var outputs = session.Run(inputs, outputNames);
                owner.Time.Advance(owner.RunTime);
                return outputs;
            }
            finally
            {
                Interlocked.Decrement(ref owner._running);
            }
        }

        public void Dispose() => session.Dispose();
    }
}
