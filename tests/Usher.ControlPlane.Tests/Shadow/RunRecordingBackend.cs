using System.Collections.Concurrent;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Shadow;

/// <summary>
/// A backend that records the rows of every run of one model version and, when told, fails its runs
/// of more than one row (a stacked run).
/// </summary>
internal sealed class RunRecordingBackend(IModelBackend inner, long version) : IModelBackend
{
    /// <summary>The rows of each run of the version, in order.</summary>
    public ConcurrentQueue<long> Runs { get; } = new();

    /// <summary>When set, a run of more than one row throws.</summary>
    public bool FailStackedRuns { get; set; }

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        var session = await inner.LoadAsync(context, cancellationToken);
        return context.Version == version ? new Recorded(session, this) : session;
    }

    private sealed class Recorded(IBackendSession session, RunRecordingBackend owner) : IBackendSession
    {
        public IReadOnlyList<TensorSpec> Inputs => session.Inputs;

        public IReadOnlyList<TensorSpec> Outputs => session.Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
        {
            var rows = inputs[0].Shape[0];
            owner.Runs.Enqueue(rows);
            if (owner.FailStackedRuns && rows > 1)
            {
                throw new InvalidOperationException($"the backend failed a run of {rows} rows");
            }

            return session.Run(inputs, outputNames);
        }

        public void Dispose() => session.Dispose();
    }
}
