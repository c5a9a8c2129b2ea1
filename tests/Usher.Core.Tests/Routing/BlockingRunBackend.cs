using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// A backend whose runs wait while <see cref="Hold"/> is set, so that a test can keep a version's
/// instance busy and make the next request queue; <see cref="Running"/> is set while a run waits.
/// </summary>
internal sealed class BlockingRunBackend(IModelBackend inner) : IModelBackend
{
    /// <summary>Runs wait for it while it is unset; set (runs pass) until a test resets it.</summary>
    public ManualResetEventSlim Hold { get; } = new(initialState: true);

    /// <summary>Set once a run has begun waiting on <see cref="Hold"/>.</summary>
    public ManualResetEventSlim Running { get; } = new(initialState: false);

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
        => new Held(await inner.LoadAsync(context, cancellationToken), this);

    private sealed class Held(IBackendSession session, BlockingRunBackend owner) : IBackendSession
    {
        public IReadOnlyList<TensorSpec> Inputs => session.Inputs;

        public IReadOnlyList<TensorSpec> Outputs => session.Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
        {
            if (!owner.Hold.IsSet)
            {
                owner.Running.Set();
                owner.Hold.Wait();
            }

            return session.Run(inputs, outputNames);
        }

        public void Dispose() => session.Dispose();
    }
}
