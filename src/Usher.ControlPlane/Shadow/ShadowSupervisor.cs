using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Shadow;

/// <summary>
/// The controller's side of shadow rollouts: starts and stops the mirror of an endpoint with its
/// comparison, and reads the comparison as a report, as JSON, and against the spec's gate.
/// </summary>
internal sealed class ShadowSupervisor : IAsyncDisposable
{
    private readonly ShadowRecorder _recorder = new();
    private readonly InferenceRouter _router;
    private readonly ShadowMirror _mirror;
    private readonly bool _ownsMirror;
    private int _disposed;

    /// <summary>Uses the router's mirror, or gives the router one of its own (then disposes it).</summary>
    public ShadowSupervisor(InferenceRouter router, ModelManager models, TimeProvider time)
    {
        _router = router;
        if (router.Mirror is { } mirror)
        {
            _mirror = mirror;
        }
        else
        {
            _mirror = new ShadowMirror(models, time);
            _ownsMirror = true;
            router.Mirror = _mirror;
        }

        _mirror.Observer = _recorder;
    }

    /// <summary>The mirror (counts, and tests).</summary>
    public ShadowMirror Mirror => _mirror;

    /// <summary>Starts mirroring the rollout's endpoint to its candidate, with a fresh comparison.</summary>
    public void Start(Rollout rollout, DateTimeOffset now)
    {
        var shadow = rollout.Spec.Shadow;
        _recorder.Start(rollout.Endpoint, now, shadow.Tolerance);
        _mirror.Start(rollout.Endpoint, new ShadowTarget(rollout.Spec.Model, rollout.CandidateVersion, shadow.Percent, shadow.Queue));
    }

    /// <summary>Stops mirroring the endpoint (nothing when it is not mirrored).</summary>
    public void Stop(string endpoint)
    {
        _mirror.Stop(endpoint);
        _recorder.Stop(endpoint);
    }

    /// <summary>The live state of the rollout's shadow, or null when not mirroring.</summary>
    public ShadowStatus? Status(Rollout rollout)
        => _recorder.Report(rollout.Endpoint) is { } report && _mirror.Find(rollout.Endpoint) is { } target
            ? new ShadowStatus(
                RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion),
                target,
                _mirror.Counts(rollout.Endpoint),
                report,
                rollout.Spec.Shadow.Gate,
                rollout.Spec.Shadow.Gate is { } gate ? ShadowGate.Evaluate(gate, report) : null)
            : null;

    /// <summary>The gate's verdict now, or null when the spec has no gate or nothing is mirrored.</summary>
    public (bool Passed, string Detail)? Gate(Rollout rollout)
        => rollout.Spec.Shadow.Gate is { } gate && _recorder.Report(rollout.Endpoint) is { } report ? ShadowGate.Evaluate(gate, report) : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The controller disposes it first; the container that built it disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _mirror.Observer = null;
        if (_ownsMirror)
        {
            _router.Mirror = null;
            await _mirror.DisposeAsync().ConfigureAwait(false);
        }
    }
}
