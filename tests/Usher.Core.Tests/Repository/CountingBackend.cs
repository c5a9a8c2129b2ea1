using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Repository;

/// <summary>A backend that counts the runs of every session it loads, and the rows of each run.</summary>
internal sealed class CountingBackend(IModelBackend inner) : IModelBackend
{
    private int _runs;

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    /// <summary>Runs so far, across every session.</summary>
    public int Runs => Volatile.Read(ref _runs);

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
        => new Counted(await inner.LoadAsync(context, cancellationToken), this);

    private sealed class Counted(IBackendSession session, CountingBackend owner) : IBackendSession
    {
        public IReadOnlyList<TensorSpec> Inputs => session.Inputs;

        public IReadOnlyList<TensorSpec> Outputs => session.Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
        {
            Interlocked.Increment(ref owner._runs);
            return session.Run(inputs, outputNames);
        }

        public void Dispose() => session.Dispose();
    }
}
