using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts.Strategies;
using Usher.ControlPlane.Shadow;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// The front of the rollout state machines. Operators (admin API) and the clock (ticks) drive them;
/// each rollout's strategy (<see cref="IRolloutStrategy"/>, picked by name) turns its state and analysis
/// into transitions, which the <see cref="RolloutJournal"/> stores before they are published. The data
/// plane never calls in here: it reads the published tables. Each endpoint has its own gate, so a tick
/// and an operator's action on one endpoint never interleave, and a slow load on one endpoint never
/// holds up another. Built by <see cref="RolloutServiceCollectionExtensions.AddRolloutController"/>.
/// </summary>
internal sealed partial class RolloutController : IAsyncDisposable
{
    /// <summary>The journal's actor for an action whose caller gave no name (no admin token in use).</summary>
    public const string Operator = "operator";

    private readonly Collaborators _c;
    private readonly RolloutOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Ticks run one at a time (a test's tick waits for the timer's); within one, endpoints go side by side.
    private readonly SemaphoreSlim _ticking = new(1, 1);
    // Rollouts a model's config.yaml starts, running off the tick (they load and warm up the candidate).
    private readonly ConcurrentDictionary<string, Task> _repositoryDeployments = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private int _disposed;

    internal RolloutController(Collaborators collaborators, InferenceRouter router, RolloutOptions options, TimeProvider time, ILogger<RolloutController> logger)
    {
        _c = collaborators;
        _options = options;
        _time = time;
        _logger = logger;
        router.Observer = new ObserverChain(Recorder, Experiments);
    }

    /// <summary>The assignments and outcomes of running experiments (A/B tests and bandits).</summary>
    public ExperimentTracker Experiments => _c.Experiments;

    /// <summary>What routed traffic looked like, per endpoint and variant.</summary>
    public TrafficRecorder Recorder => _c.Recorder;

    /// <summary>The active rollouts, by endpoint.</summary>
    public IReadOnlyDictionary<string, Rollout> Active => _c.Journal.Active;

    /// <summary>
    /// Restores the stored route tables, rejected versions and active rollouts, and sets the models'
    /// version pins, so that the start-up load loads what the tables need.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await _c.Keeper.RestoreAsync(cancellationToken).ConfigureAwait(false);
        var active = await _c.Journal.RestoreAsync(cancellationToken).ConfigureAwait(false);
        foreach (var experiment in active.Where(r => ExperimentJudge.IsExperiment(r.Spec)))
        {
            Experiments.Start(experiment.Endpoint, experiment.Id, experiment.Spec.Ab);
        }

        _c.Keeper.SetAllPins(active);
    }

    /// <summary>
    /// After the start-up load: gives every model without a route table one (its newest ready
    /// version), resumes interrupted rollouts with a fresh analysis window, and starts ticking.
    /// </summary>
    public async Task StartAsync(bool startTimer, CancellationToken cancellationToken)
    {
        foreach (var rollout in Active.Values.ToList())
        {
            using var lease = await _c.Gates.EnterAsync(rollout.Endpoint, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            _c.Strategies.For(rollout).Resume(rollout, now);
            var resumed = rollout with { StepStartedAt = now, UpdatedAt = now };
            await _c.Journal.SaveAsync(resumed, "resume", "controller", $"the server restarted during {RolloutTransitions.Describe(rollout)}: it resumes here with a fresh analysis window", null, cancellationToken).ConfigureAwait(false);
        }

        await SyncRepositoryAsync(cancellationToken).ConfigureAwait(false);
        if (startTimer)
        {
            _timer = _time.CreateTimer(_ => _ = TickFromTimerAsync(), null, _options.Tick, _options.Tick);
        }
    }

    /// <summary>
    /// Whether the state store is shared by replicas of which another may lead: the admin reads
    /// then answer from the store, the same on every replica, not from this one's memory.
    /// </summary>
    public bool SharedState { get; set; }

    /// <summary>The endpoint's active rollout, else its last one, else null.</summary>
    public async Task<Rollout?> StatusAsync(string endpoint, CancellationToken cancellationToken)
    {
        if (!SharedState && Active.GetValueOrDefault(endpoint) is { } active)
        {
            return _c.Strategies.For(active).Describe(active);
        }

        var latest = await _c.Journal.LatestAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return SharedState && latest is { IsActive: true } ? _c.Strategies.For(latest).Describe(latest) : latest;
    }

    /// <summary>
    /// For a replica that does not lead: re-reads the active rollouts and the route table of
    /// <paramref name="endpoint"/> (every table when null) from the store, loads the versions they
    /// need and publishes the tables, as the leader left them. Runs no strategy and writes nothing.
    /// </summary>
    public async Task FollowStoreAsync(string? endpoint, CancellationToken cancellationToken)
    {
        var active = await FollowWindowsAsync(cancellationToken).ConfigureAwait(false);
        await _c.Keeper.FollowAsync(endpoint, active, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For a replica that does not lead: re-reads the active rollouts from the store and records the
    /// traffic of each judged one (<see cref="IsJudged"/>) in a window named as the leader names it
    /// (<see cref="WindowAnalyzer.WindowStartAt"/>: the stored step's start, or an experiment's guardrail
    /// window), so that its flushes join the leader's; windows of rollouts that are no longer judged
    /// stop. Returns the active rollouts.
    /// </summary>
    public async Task<IReadOnlyList<Rollout>> FollowWindowsAsync(CancellationToken cancellationToken)
    {
        var before = Active.Values.Where(IsJudged).Select(r => r.Endpoint).ToList();
        var active = await _c.Journal.RestoreAsync(cancellationToken).ConfigureAwait(false);
        var judged = active.Where(IsJudged).ToDictionary(r => r.Endpoint, StringComparer.Ordinal);
        foreach (var endpoint in before.Where(e => !judged.ContainsKey(e)))
        {
            Recorder.StopWindow(endpoint);
        }

        var now = _time.GetUtcNow();
        foreach (var rollout in judged.Values)
        {
            var start = WindowAnalyzer.WindowStartAt(rollout, now);
            if (Recorder.WindowStart(rollout.Endpoint) != start)
            {
                _c.Transitions.StartWindow(rollout, start);
            }
        }

        return active;
    }

    /// <summary>Whether the rollout's traffic is being judged by a window analysis now (a progressing canary, a blue-green rollback window).</summary>
    public static bool IsJudged(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return rollout.Phase is RolloutPhase.Progressing or RolloutPhase.RollbackWindow;
    }

    /// <summary>The endpoint's audit trail.</summary>
    public Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken)
        => _c.Journal.HistoryAsync(endpoint, limit, cancellationToken);

    /// <summary>The results of the endpoint's experiment (running, else its last one), or null when it never ran one.</summary>
    public async Task<(Rollout Rollout, ExperimentReport Report)?> ExperimentAsync(string endpoint, CancellationToken cancellationToken)
    {
        var rollout = await StatusAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (rollout is null || !ExperimentJudge.IsExperiment(rollout.Spec))
        {
            return null;
        }

        await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
        var table = rollout.IsActive ? _c.Routes.Find(endpoint) : ExperimentJudge.StartTable(rollout.Spec);
        return (rollout, await ExperimentJudge.AnalyzeAsync(Experiments.Store, rollout, table, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Starts a deployment.</summary>
    public async Task<ControlResult<Rollout>> DeployAsync(DeploymentSpec spec, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var lease = await _c.Gates.EnterAsync(spec.Endpoint, cancellationToken).ConfigureAwait(false);
        return await DeployLockedAsync(spec, actor, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a deployment without starting it (a dry run): the checks <see cref="DeployAsync"/> makes
    /// before it stores anything (<see cref="RolloutAdmission"/>), answering the spec as it would start.
    /// </summary>
    public ControlResult<DeploymentSpec> Check(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var admitted = _c.Admission.Admit(spec, _c.Strategies.For(spec));
        return admitted.IsSuccess ? ControlResult<DeploymentSpec>.Success(admitted.Value.Spec) : admitted.Error;
    }

    /// <summary>
    /// Promotes the endpoint's rollout now: all traffic to the candidate, the old version unloaded. A
    /// shadow is promoted to a canary instead (its first step, then the spec's canary schedule).
    /// </summary>
    public Task<ControlResult<Rollout>> PromoteAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => PromoteAsync(endpoint, reason, null, Operator, cancellationToken);

    /// <summary>Promotes the endpoint's rollout now; an experiment ends on <paramref name="version"/>, or on its winner when that is null.</summary>
    public Task<ControlResult<Rollout>> PromoteAsync(string endpoint, string? reason, long? version, CancellationToken cancellationToken)
        => PromoteAsync(endpoint, reason, version, Operator, cancellationToken);

    /// <summary>Promotes as <see cref="PromoteAsync(string, string?, long?, CancellationToken)"/> does, journaled as <paramref name="actor"/>.</summary>
    public Task<ControlResult<Rollout>> PromoteAsync(string endpoint, string? reason, long? version, string actor, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, r => _c.Strategies.For(r).PromoteAsync(r, reason, version, actor, cancellationToken));

    /// <summary>Pauses a canary: the weights stay, no step is taken, no analysis runs.</summary>
    public Task<ControlResult<Rollout>> PauseAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => PauseAsync(endpoint, reason, Operator, cancellationToken);

    /// <summary>Pauses as <see cref="PauseAsync(string, string?, CancellationToken)"/> does, journaled as <paramref name="actor"/>.</summary>
    public Task<ControlResult<Rollout>> PauseAsync(string endpoint, string? reason, string actor, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r =>
        {
            if (r.Phase != RolloutPhase.Progressing)
            {
                return ControlError.Conflict($"only a progressing canary can be paused; {RolloutTransitions.Describe(r)} is {RolloutText.Phase(r.Phase)}");
            }

            var paused = r with { Phase = RolloutPhase.Paused, Reason = reason ?? "paused by an operator", UpdatedAt = _time.GetUtcNow() };
            Recorder.StopWindow(r.Endpoint);
            return await _c.Journal.SaveAsync(paused, "pause", actor, $"paused at {r.CandidateWeight}%: {paused.Reason}", null, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Resumes a paused or inconclusive canary: the current step restarts with a fresh window.</summary>
    public Task<ControlResult<Rollout>> ResumeAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => ResumeAsync(endpoint, reason, Operator, cancellationToken);

    /// <summary>Resumes as <see cref="ResumeAsync(string, string?, CancellationToken)"/> does, journaled as <paramref name="actor"/>.</summary>
    public Task<ControlResult<Rollout>> ResumeAsync(string endpoint, string? reason, string actor, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r =>
        {
            if (r.Phase is not (RolloutPhase.Paused or RolloutPhase.Inconclusive))
            {
                return ControlError.Conflict($"only a paused or inconclusive canary can be resumed; {RolloutTransitions.Describe(r)} is {RolloutText.Phase(r.Phase)}");
            }

            var now = _time.GetUtcNow();
            var resumed = r with { Phase = RolloutPhase.Progressing, StepStartedAt = now, Reason = null, UpdatedAt = now };
            _c.Transitions.StartWindow(r, now);
            return await _c.Journal.SaveAsync(resumed, "resume", actor, $"resumed at {r.CandidateWeight}% with a fresh window{(reason is null ? "" : ": " + reason)}", null, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Rolls back now: all traffic to the stable version, the candidate unloaded and rejected.</summary>
    public Task<ControlResult<Rollout>> RollbackAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => RollbackAsync(endpoint, reason, Operator, cancellationToken);

    /// <summary>Rolls back as <see cref="RollbackAsync(string, string?, CancellationToken)"/> does, journaled as <paramref name="actor"/>.</summary>
    public Task<ControlResult<Rollout>> RollbackAsync(string endpoint, string? reason, string actor, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, r => _c.Transitions.RollBackAsync(r, actor, reason ?? "rolled back by an operator", null, cancellationToken));

    /// <summary>Records a fault change in the endpoint's audit trail.</summary>
    public Task RecordAsync(string endpoint, string kind, string message, string? dataJson, CancellationToken cancellationToken)
        => RecordAsync(endpoint, kind, message, dataJson, Operator, cancellationToken);

    /// <summary>Records a fault change in the endpoint's audit trail as <paramref name="actor"/>.</summary>
    public Task RecordAsync(string endpoint, string kind, string message, string? dataJson, string actor, CancellationToken cancellationToken)
        => _c.Journal.AppendAsync(endpoint, Active.GetValueOrDefault(endpoint)?.Id, kind, actor, message, dataJson, cancellationToken);

    /// <summary>
    /// Evaluates every endpoint once (the timer calls this; tests call it after advancing fake time):
    /// repository changes, then the active rollout's strategy. Ticks run one at a time; within one,
    /// endpoints are evaluated side by side, each under its own gate, and an endpoint busy with an
    /// operator's action (a model loading, a blue-green replay) is skipped until the next tick, so it
    /// holds up no other. A rollout that a model's config.yaml starts is deployed off the tick, under
    /// the endpoint's gate, since it loads and warms up the candidate.
    /// </summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        await _ticking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            var endpoints = _c.Sync.Models.Concat(Active.Keys).Distinct(StringComparer.Ordinal).ToList();
            var outcomes = await Task.WhenAll(endpoints.Select(e => TickEndpointAsync(e, cancellationToken))).ConfigureAwait(false);
            if (outcomes.Any(changed => changed))
            {
                _c.Keeper.SetAllPins(Active.Values);
            }
        }
        finally
        {
            _ticking.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        // Wait for the work in progress, then leave every gate taken: nothing runs after disposal.
        await _c.Gates.CloseAsync().ConfigureAwait(false);
        await _c.Shadows.DisposeAsync().ConfigureAwait(false);

        // Assignments not yet written would make feedback after a restart unknown.
        await Experiments.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<bool> TickEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        // Off the caller's stack: endpoints run side by side.
        await Task.Yield();
        using var lease = _c.Gates.TryEnter(endpoint);
        if (lease is null || _repositoryDeployments.ContainsKey(endpoint))
        {
            return false;
        }

        var sync = await _c.Sync.SyncAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (sync.Deploy is { } spec)
        {
            StartRepositoryDeployment(spec);
        }

        if (Active.TryGetValue(endpoint, out var rollout))
        {
            await _c.Strategies.For(rollout).TickAsync(rollout, cancellationToken).ConfigureAwait(false);
        }

        return sync.RouteChanged;
    }

    private async Task SyncRepositoryAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var endpoint in _c.Sync.Models.ToList())
        {
            using var lease = await _c.Gates.EnterAsync(endpoint, cancellationToken).ConfigureAwait(false);
            var sync = await _c.Sync.SyncAsync(endpoint, cancellationToken).ConfigureAwait(false);
            changed |= sync.RouteChanged;
            if (sync.Deploy is { } spec)
            {
                await DeployLockedAsync(spec, "repository", cancellationToken).ConfigureAwait(false);
            }
        }

        if (changed)
        {
            _c.Keeper.SetAllPins(Active.Values);
        }
    }

    /// <summary>Completes when the rollouts that config.yaml sections started off the tick have started (or failed to).</summary>
    internal Task RepositoryDeploymentsAsync() => Task.WhenAll(_repositoryDeployments.Values);

    // The tick that found the new version holds the endpoint's gate: the deployment takes it once the
    // tick lets go, and until it is done later ticks skip the endpoint (so it is deployed once).
    private void StartRepositoryDeployment(DeploymentSpec spec)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_repositoryDeployments.TryAdd(spec.Endpoint, done.Task))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                using var lease = await _c.Gates.EnterAsync(spec.Endpoint, CancellationToken.None).ConfigureAwait(false);
                await DeployLockedAsync(spec, "repository", CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The controller stopped first: the version is found again at the next start.
            }
            catch (LeadershipLostException)
            {
                // This replica no longer leads (its write was fenced): the next leader finds the version.
            }
            catch (Exception e)
            {
                Log.RepositoryDeployFailed(_logger, spec.Endpoint, spec.Version, e);
            }
            finally
            {
                _repositoryDeployments.TryRemove(spec.Endpoint, out _);
                done.SetResult();
            }
        });
    }

    private async Task TickFromTimerAsync()
    {
        try
        {
            await TickAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            Log.TickFailed(_logger, e);
        }
    }

    private async Task<ControlResult<Rollout>> ActAsync(string endpoint, CancellationToken cancellationToken, Func<Rollout, Task<ControlResult<Rollout>>> action)
    {
        using var lease = await _c.Gates.EnterAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (Active.TryGetValue(endpoint, out var rollout))
        {
            return await action(rollout).ConfigureAwait(false);
        }

        var last = await _c.Journal.LatestAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return last is null
            ? ControlError.NotFound($"endpoint '{endpoint}' has no rollout; start one with `usher deploy {endpoint} --version V --strategy canary`")
            : ControlError.Conflict($"endpoint '{endpoint}' has no active rollout: the last one ({RolloutTransitions.Describe(last)}) is {RolloutText.Phase(last.Phase)}");
    }

    // Under the endpoint's gate: admission, the stored start, the candidate's load and warm-up, then
    // the strategy moves the first traffic. Only this endpoint waits for the load.
    private async Task<ControlResult<Rollout>> DeployLockedAsync(DeploymentSpec spec, string actor, CancellationToken cancellationToken)
    {
        var strategy = _c.Strategies.For(spec);
        var admitted = _c.Admission.Admit(spec, strategy);
        if (!admitted.IsSuccess)
        {
            return admitted.Error;
        }

        (spec, var serving) = admitted.Value;
        var now = _time.GetUtcNow();
        await _c.Transitions.RejectAsync(spec.Model, spec.Version, null, cancellationToken).ConfigureAwait(false);
        var rollout = await _c.Journal.InsertAsync(
            new Rollout { Spec = spec, StableVersion = serving.Version, Phase = strategy.StartPhase, StepStartedAt = now, CreatedAt = now, UpdatedAt = now },
            cancellationToken).ConfigureAwait(false);
        await _c.Journal.AuditAsync(rollout, "deploy", actor, $"{RolloutTransitions.Describe(rollout)} started by {actor}", DeploymentSpecWriter.ToJson(spec), cancellationToken).ConfigureAwait(false);

        var loadError = await _c.Keeper.ApplyPinsAsync(spec.Model, Active.Values, cancellationToken).ConfigureAwait(false);
        var slot = _c.Models.Find(spec.Model)?.Find(spec.Version);
        if (slot?.Loaded is null)
        {
            var why = slot?.Reason ?? loadError ?? $"there is no version folder {spec.Version} in the repository";
            return await _c.Transitions.EndAsync(rollout, RolloutPhase.Aborted, "abort", actor, $"version {spec.Version} of '{spec.Model}' could not be loaded: {why}", null, cancellationToken).ConfigureAwait(false);
        }

        await BlueGreenValidator.WarmUpAsync(_c.Router, Recorder, spec, cancellationToken).ConfigureAwait(false);
        return await strategy.BeginAsync(rollout, serving, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The controller's collaborators, built by dependency injection.</summary>
    internal sealed record Collaborators(
        RolloutJournal Journal,
        RolloutStrategies Strategies,
        RolloutAdmission Admission,
        RepositorySync Sync,
        RolloutTransitions Transitions,
        EndpointGates Gates,
        RouteKeeper Keeper,
        TrafficRecorder Recorder,
        ExperimentTracker Experiments,
        ShadowSupervisor Shadows,
        InferenceRouter Router,
        ModelManager Models,
        EndpointRoutes Routes);
}
