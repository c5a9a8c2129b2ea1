using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Shadow;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// The rollout state machines. Operators (admin API) and the clock (ticks) drive them; every
/// transition is stored with the audit trail before it takes effect, then publishes a new route
/// table. The data plane never calls in here: it reads the published tables. Transitions are
/// serialized by one gate, so a tick and an operator's action never interleave.
/// </summary>
public sealed partial class RolloutController : IAsyncDisposable
{
    private readonly ModelManager _models;
    private readonly EndpointRoutes _routes;
    private readonly InferenceRouter _router;
    private readonly RolloutStore _store;
    private readonly TimeProvider _time;
    private readonly RolloutOptions _options;
    private readonly ILogger _logger;
    private readonly RouteKeeper _keeper;
    private readonly ShadowSupervisor _shadows;
    private readonly Random _random;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImmutableDictionary<string, Rollout> _active = ImmutableDictionary.Create<string, Rollout>(StringComparer.Ordinal);
    private readonly HashSet<(string, long)> _invalidSections = [];
    private ITimer? _timer;

    /// <summary>Creates the controller; call <see cref="RestoreAsync"/> before the repository loads, then <see cref="StartAsync"/>.</summary>
    public RolloutController(
        ModelManager models, EndpointRoutes routes, InferenceRouter router, RolloutStore store, TimeProvider time,
        RolloutOptions? options = null, ILogger<RolloutController>? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _models = models;
        _routes = routes;
        _router = router;
        _store = store;
        _time = time;
        _options = options ?? new RolloutOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _keeper = new RouteKeeper(models, routes, store);
        Recorder = new TrafficRecorder(time, router.Observations);
        _shadows = new ShadowSupervisor(router, models, time);
        Experiments = new ExperimentTracker(new ExperimentStore(store), time, router.Observations);
        _random = random ?? Random.Shared;
        router.Observer = new ObserverChain(Recorder, Experiments);
    }

    /// <summary>The assignments and outcomes of running experiments (A/B tests and bandits).</summary>
    public ExperimentTracker Experiments { get; }

    /// <summary>What routed traffic looked like, per endpoint and variant.</summary>
    public TrafficRecorder Recorder { get; }

    /// <summary>The active rollouts, by endpoint.</summary>
    public IReadOnlyDictionary<string, Rollout> Active => _active;

    /// <summary>
    /// Restores the stored route tables, rejected versions and active rollouts, and sets the models'
    /// version pins, so that the start-up load loads what the tables need.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await _keeper.RestoreAsync(cancellationToken).ConfigureAwait(false);
        var active = await _store.ActiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
        _active = active.ToImmutableDictionary(r => r.Endpoint, StringComparer.Ordinal);
        foreach (var experiment in active.Where(r => ExperimentJudge.IsExperiment(r.Spec)))
        {
            Experiments.Start(experiment.Endpoint, experiment.Id, experiment.Spec.Ab);
        }

        _keeper.SetAllPins(active);
    }

    /// <summary>
    /// After the start-up load: gives every model without a route table one (its newest ready
    /// version), resumes interrupted rollouts with a fresh analysis window, and starts ticking.
    /// </summary>
    public async Task StartAsync(bool startTimer, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            foreach (var rollout in _active.Values.ToList())
            {
                var resumed = rollout with { StepStartedAt = now, UpdatedAt = now };
                if (rollout.Phase is RolloutPhase.Progressing or RolloutPhase.RollbackWindow)
                {
                    StartWindow(rollout, now);
                }
                else if (rollout.Phase == RolloutPhase.Shadowing)
                {
                    _shadows.Start(rollout, now);
                }

                await SaveAsync(resumed, "resume", "controller", $"the server restarted during {Describe(rollout)}: it resumes here with a fresh analysis window", null, cancellationToken).ConfigureAwait(false);
            }

            await SyncRepositoryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        if (startTimer)
        {
            _timer = _time.CreateTimer(_ => _ = TickFromTimerAsync(), null, _options.Tick, _options.Tick);
        }
    }

    /// <summary>The endpoint's active rollout, else its last one, else null.</summary>
    public async Task<Rollout?> StatusAsync(string endpoint, CancellationToken cancellationToken)
        => _active.GetValueOrDefault(endpoint) is { } active
            ? active.Phase == RolloutPhase.Shadowing ? active with { ShadowReportJson = _shadows.ReportJson(active) } : active
            : await _store.LatestRolloutAsync(endpoint, cancellationToken).ConfigureAwait(false);

    /// <summary>The endpoint's audit trail.</summary>
    public Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken)
        => _store.HistoryAsync(endpoint, limit, cancellationToken);

    /// <summary>Starts a deployment.</summary>
    public async Task<ControlResult<Rollout>> DeployAsync(DeploymentSpec spec, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DeployLockedAsync(spec, actor, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Promotes the endpoint's rollout now: all traffic to the candidate, the old version unloaded. A
    /// shadow is promoted to a canary instead (its first step, then the spec's canary schedule).
    /// </summary>
    public Task<ControlResult<Rollout>> PromoteAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => PromoteAsync(endpoint, reason, null, cancellationToken);

    /// <summary>Promotes the endpoint's rollout now; an experiment ends on <paramref name="version"/>, or on its winner when that is null.</summary>
    public Task<ControlResult<Rollout>> PromoteAsync(string endpoint, string? reason, long? version, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r =>
        {
            if (ExperimentJudge.IsExperiment(r.Spec))
            {
                return await EndExperimentAsync(r, version, reason, cancellationToken).ConfigureAwait(false);
            }

            if (r.Phase == RolloutPhase.Validating)
            {
                return ControlError.Conflict($"the rollout of {Describe(r)} is still validating; wait for it");
            }

            if (r.Phase == RolloutPhase.Shadowing)
            {
                return await StartCanaryAsync(r, "operator", reason ?? "promoted by an operator", cancellationToken).ConfigureAwait(false);
            }

            return await SucceedAsync(r, "promote", "operator", reason ?? "promoted by an operator", cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Pauses a canary: the weights stay, no step is taken, no analysis runs.</summary>
    public Task<ControlResult<Rollout>> PauseAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r =>
        {
            if (r.Phase != RolloutPhase.Progressing)
            {
                return ControlError.Conflict($"only a progressing canary can be paused; {Describe(r)} is {Phase(r.Phase)}");
            }

            var now = _time.GetUtcNow();
            var paused = r with { Phase = RolloutPhase.Paused, Reason = reason ?? "paused by an operator", UpdatedAt = now };
            Recorder.StopWindow(r.Endpoint);
            return await SaveAsync(paused, "pause", "operator", $"paused at {r.CandidateWeight}%: {paused.Reason}", null, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Resumes a paused or inconclusive canary: the current step restarts with a fresh window.</summary>
    public Task<ControlResult<Rollout>> ResumeAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r =>
        {
            if (r.Phase is not (RolloutPhase.Paused or RolloutPhase.Inconclusive))
            {
                return ControlError.Conflict($"only a paused or inconclusive canary can be resumed; {Describe(r)} is {Phase(r.Phase)}");
            }

            var now = _time.GetUtcNow();
            var resumed = r with { Phase = RolloutPhase.Progressing, StepStartedAt = now, Reason = null, UpdatedAt = now };
            StartWindow(r, now);
            return await SaveAsync(resumed, "resume", "operator", $"resumed at {r.CandidateWeight}% with a fresh window{(reason is null ? "" : ": " + reason)}", null, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Rolls back now: all traffic to the stable version, the candidate unloaded and rejected.</summary>
    public Task<ControlResult<Rollout>> RollbackAsync(string endpoint, string? reason, CancellationToken cancellationToken)
        => ActAsync(endpoint, cancellationToken, async r => await RollBackLockedAsync(r, "operator", reason ?? "rolled back by an operator", null, cancellationToken).ConfigureAwait(false));

    /// <summary>Records a fault change in the endpoint's audit trail.</summary>
    public async Task RecordAsync(string endpoint, string kind, string message, string? dataJson, CancellationToken cancellationToken)
        => await _store.AppendEventAsync(new RolloutEvent(0, endpoint, _active.GetValueOrDefault(endpoint)?.Id, _time.GetUtcNow(), kind, "operator", message, dataJson), cancellationToken).ConfigureAwait(false);

    /// <summary>Evaluates every active rollout once (the timer calls this; tests call it after advancing fake time).</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SyncRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            foreach (var rollout in _active.Values.ToList())
            {
                await EvaluateAsync(rollout, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        // Wait for a tick in progress, then leave the gate taken: nothing runs after disposal.
        await _gate.WaitAsync().ConfigureAwait(false);
        await _shadows.DisposeAsync().ConfigureAwait(false);

        // Assignments not yet written would make feedback after a restart unknown.
        await Experiments.FlushAsync(CancellationToken.None).ConfigureAwait(false);
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
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_active.TryGetValue(endpoint, out var rollout))
            {
                return await action(rollout).ConfigureAwait(false);
            }

            var last = await _store.LatestRolloutAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return last is null
                ? ControlError.NotFound($"endpoint '{endpoint}' has no rollout; start one with `usher deploy {endpoint} --version V --strategy canary`")
                : ControlError.Conflict($"endpoint '{endpoint}' has no active rollout: the last one ({Describe(last)}) is {Phase(last.Phase)}");
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ControlResult<Rollout>> DeployLockedAsync(DeploymentSpec spec, string actor, CancellationToken cancellationToken)
    {
        if (_active.TryGetValue(spec.Endpoint, out var running))
        {
            return ControlError.Conflict($"endpoint '{spec.Endpoint}' has an active rollout: {Describe(running)} is {Phase(running.Phase)}; promote it, roll it back or wait for it to finish");
        }

        var table = _routes.Find(spec.Endpoint);
        var serving = table?.Variants.OrderByDescending(v => v.Weight).First();
        if (serving is null)
        {
            var entry = _models.Find(spec.Endpoint);
            if (entry?.NewestReady is not { } newest)
            {
                return ControlError.NotFound($"unknown endpoint '{spec.Endpoint}': no model of that name is loaded (see `usher endpoints`)");
            }

            serving = new RouteVariant(spec.Endpoint, newest.Version, 100);
        }

        if (_models.Find(spec.Model) is null)
        {
            return ControlError.NotFound($"unknown model '{spec.Model}' (see `usher endpoints`)");
        }

        var experiment = ExperimentJudge.IsExperiment(spec);
        if (experiment && !spec.Ab.Variants.Any(a => a.Version == spec.Version))
        {
            return ControlError.Invalid($"version {spec.Version} is not one of the experiment's arms ({string.Join(", ", spec.Ab.Variants.Select(a => a.Version))})");
        }

        if (experiment && !spec.Ab.Variants.Any(a => a.Version == serving.Version))
        {
            return ControlError.Invalid($"version {serving.Version} serves endpoint '{spec.Endpoint}' now; an experiment keeps it as the control arm, so list it among the variants (e.g. --variants {serving.Version}:50,{spec.Version}:50)");
        }

        if (experiment && spec.Version == serving.Version)
        {
            // The candidate of an experiment is an arm other than the control: a rollback rejects it.
            spec = spec with { Version = spec.Ab.Variants.First(a => a.Version != serving.Version).Version };
        }

        if (!experiment && serving.Model == spec.Model && serving.Version == spec.Version)
        {
            return ControlError.Conflict($"version {spec.Version} of '{spec.Model}' already serves endpoint '{spec.Endpoint}'");
        }

        if (serving.Model != spec.Model)
        {
            return ControlError.Invalid($"endpoint '{spec.Endpoint}' is served by model '{serving.Model}'; a rollout moves it between versions of that model, not to model '{spec.Model}'");
        }

        var now = _time.GetUtcNow();
        await _keeper.RejectAsync(spec.Model, spec.Version, null, now, cancellationToken).ConfigureAwait(false);
        var rollout = await _store.InsertRolloutAsync(
            new Rollout
            {
                Spec = spec,
                StableVersion = serving.Version,
                Phase = spec.Strategy switch
                {
                    RolloutStrategy.Canary => RolloutPhase.Progressing,
                    RolloutStrategy.Shadow => RolloutPhase.Shadowing,
                    _ when experiment => RolloutPhase.Progressing,
                    _ => RolloutPhase.Validating,
                },
                StepStartedAt = now,
                CreatedAt = now,
                UpdatedAt = now,
            },
            cancellationToken).ConfigureAwait(false);
        _active = _active.SetItem(spec.Endpoint, rollout);
        await Audit(rollout, "deploy", actor, $"{Describe(rollout)} started by {actor}", DeploymentSpecWriter.ToJson(spec), cancellationToken).ConfigureAwait(false);

        var loadError = await _keeper.ApplyPinsAsync(spec.Model, _active.Values, cancellationToken).ConfigureAwait(false);
        var slot = _models.Find(spec.Model)?.Find(spec.Version);
        if (slot?.Loaded is null)
        {
            var why = slot?.Reason ?? loadError ?? $"there is no version folder {spec.Version} in the repository";
            return await EndAsync(rollout, RolloutPhase.Aborted, "abort", actor, $"version {spec.Version} of '{spec.Model}' could not be loaded: {why}", null, cancellationToken).ConfigureAwait(false);
        }

        await BlueGreenValidator.WarmUpAsync(_router, Recorder, spec, cancellationToken).ConfigureAwait(false);
        switch (spec.Strategy)
        {
            case RolloutStrategy.Ab or RolloutStrategy.Bandit:
                var arms = ExperimentJudge.StartTable(spec);
                await _keeper.PublishAsync(arms, now, cancellationToken).ConfigureAwait(false);
                Experiments.Start(spec.Endpoint, rollout.Id, spec.Ab);
                StartWindow(rollout, now);
                return await SaveAsync(rollout, "step", "controller", $"experiment started: {string.Join(", ", arms.Variants.Select(v => $"version {v.Version} {v.Weight:0.##}%"))}, judged on '{spec.Ab.Metric}' ({(spec.Ab.Kind == OutcomeKind.Binary ? "binary" : "continuous")})", null, cancellationToken).ConfigureAwait(false);
            case RolloutStrategy.Canary:
                await _keeper.PublishAsync(CanaryTable(rollout), now, cancellationToken).ConfigureAwait(false);
                StartWindow(rollout, now);
                return await SaveAsync(rollout, "step", "controller", $"step 1 of {spec.Canary.Steps.Count}: canary weight {rollout.CandidateWeight}% for {Durations.Format(spec.Canary.Interval)}", null, cancellationToken).ConfigureAwait(false);
            case RolloutStrategy.Shadow:
                _shadows.Start(rollout, now);
                var gate = spec.Shadow.Gate is { } g ? $"; it becomes a canary when {g.MinSamples} pairs agree at least {g.MinAgreement * 100:0.##}% with p99 latency within {g.MaxLatencyP99Ratio:0.##}×" : "; promote it to a canary or roll it back";
                return await SaveAsync(rollout, "step", "controller", $"mirroring {spec.Shadow.Percent:0.##}% of requests to version {spec.Version} (queue {spec.Shadow.Queue}); its answers are compared, never returned{gate}", null, cancellationToken).ConfigureAwait(false);
            case RolloutStrategy.BlueGreen:
                var validation = await BlueGreenValidator.ValidateAsync(_router, Recorder, spec, rollout.StableVersion, cancellationToken).ConfigureAwait(false);
                if (!validation.Passed)
                {
                    return await EndAsync(rollout, RolloutPhase.Aborted, "abort", "controller", $"validation failed, no traffic moved: {validation.Message}", null, cancellationToken).ConfigureAwait(false);
                }

                await Audit(rollout, "analysis", "controller", $"validation passed: {validation.Message}", null, cancellationToken).ConfigureAwait(false);
                var baseline = Recorder.Recent(spec.Endpoint, serving.Name);
                await _keeper.PublishAsync(RouteTable.Single(spec.Endpoint, spec.Model, spec.Version), now, cancellationToken).ConfigureAwait(false);
                Recorder.StartWindow(spec.Endpoint, now, baseline);
                var switched = rollout with { Phase = RolloutPhase.RollbackWindow, RollbackWindowEndsAt = now + spec.BlueGreen.RollbackWindow, UpdatedAt = now };
                return await SaveAsync(switched, "step", "controller", $"switched all traffic to version {spec.Version}; version {rollout.StableVersion} stays loaded for rollback until {switched.RollbackWindowEndsAt:yyyy-MM-dd HH:mm:ss}Z", null, cancellationToken).ConfigureAwait(false);
            default:
                return await SucceedAsync(rollout, "complete", "controller", $"switched all traffic to version {spec.Version} (direct)", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EvaluateAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        if (rollout.Phase == RolloutPhase.Shadowing)
        {
            if (_shadows.Gate(rollout) is { Passed: true } gate)
            {
                await StartCanaryAsync(rollout, "controller", $"the shadow gate passed: {gate.Detail}", cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (rollout.Phase is not (RolloutPhase.Progressing or RolloutPhase.RollbackWindow))
        {
            return;
        }

        if (ExperimentJudge.IsExperiment(rollout.Spec))
        {
            await EvaluateExperimentAsync(rollout, cancellationToken).ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        var endpoint = rollout.Endpoint;
        var stableName = RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion);
        var canaryName = RouteVariant.Format(rollout.Spec.Model, rollout.CandidateVersion);
        var windowStart = Recorder.WindowStart(endpoint) ?? rollout.StepStartedAt;
        if (Recorder.WindowStart(endpoint) is null)
        {
            StartWindow(rollout, now);
        }

        // Blue-green, and a canary's last step at 100%, compare the new version with what the old
        // one served just before it took all traffic; other canary steps compare both over the same window.
        var stable = rollout.CandidateWeight >= 100 ? Recorder.Baseline(endpoint) : Recorder.Sample(endpoint, stableName);
        var canary = Recorder.Sample(endpoint, canaryName);
        var report = CanaryAnalysis.Compare(stable, canary, rollout.Spec.Analysis);
        var json = AnalysisJson.Write(report, windowStart, stable, canary);
        var current = rollout with { LastAnalysisJson = json };
        _active = _active.SetItem(endpoint, current);

        var stepEnd = rollout.Phase == RolloutPhase.RollbackWindow
            ? rollout.RollbackWindowEndsAt ?? now
            : rollout.StepStartedAt + rollout.Spec.Canary.Interval;
        // The whole analysis decides once, at the end of the step. Before that only the error rate may
        // fail, and only when even its 99% Wilson lower bound is over the limit: looking at every
        // check on every tick would turn chance into false rollbacks.
        var failsEarly = canary.Requests >= _options.EarlyFailMinRequests
            && report.Checks.Any(c => c.Name == ErrorRateCheck.Name && c.Outcome == CheckOutcome.Fail);
        if (report.Verdict == AnalysisVerdict.Fail && (now >= stepEnd || failsEarly))
        {
            var failed = string.Join("; ", report.Checks.Where(c => c.Outcome == CheckOutcome.Fail).Select(c => $"{c.Name}: {c.Detail}"));
            await RollBackLockedAsync(current, "controller", $"analysis failed at {current.CandidateWeight}%: {failed}", json, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (now < stepEnd)
        {
            return;
        }

        if (rollout.Phase == RolloutPhase.RollbackWindow)
        {
            await SucceedAsync(current, "complete", "controller", $"the rollback window ended; version {rollout.CandidateVersion} serves all traffic and version {rollout.StableVersion} is unloaded", cancellationToken).ConfigureAwait(false);
            return;
        }

        var steps = rollout.Spec.Canary.Steps;
        if (report.Verdict == AnalysisVerdict.Wait)
        {
            if (now >= stepEnd + rollout.Spec.InconclusiveAfter)
            {
                var stuck = current with { Phase = RolloutPhase.Inconclusive, Reason = $"not enough data at {current.CandidateWeight}%: {report.Summary}", UpdatedAt = now };
                await SaveAsync(stuck, "inconclusive", "controller", $"{stuck.Reason}; waiting for an operator (resume, promote or rollback)", json, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await Audit(current, "analysis", "controller", $"step {rollout.Step + 1} of {steps.Count} passed at {current.CandidateWeight}%: {report.Summary}", json, cancellationToken).ConfigureAwait(false);

        // The 100% step is the promotion: with no stable traffic left there is nothing to compare.
        if (rollout.Step + 1 >= steps.Count || steps[rollout.Step + 1] >= 100)
        {
            await SucceedAsync(current, "complete", "controller", $"every step passed; version {rollout.CandidateVersion} serves all traffic", cancellationToken).ConfigureAwait(false);
            return;
        }

        var next = current with { Step = rollout.Step + 1, StepStartedAt = now, UpdatedAt = now };
        await _keeper.PublishAsync(CanaryTable(next), now, cancellationToken).ConfigureAwait(false);
        StartWindow(next, now);
        await SaveAsync(next, "step", "controller", $"step {next.Step + 1} of {steps.Count}: canary weight {next.CandidateWeight}% for {Durations.Format(next.Spec.Canary.Interval)}", null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ControlResult<Rollout>> SucceedAsync(Rollout rollout, string kind, string actor, string message, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await _keeper.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, rollout.CandidateVersion), now, cancellationToken).ConfigureAwait(false);
        await _keeper.RejectAsync(rollout.Spec.Model, rollout.StableVersion, $"replaced by version {rollout.CandidateVersion} (rollout {rollout.Id})", now, cancellationToken).ConfigureAwait(false);
        return await EndAsync(rollout, RolloutPhase.Succeeded, kind, actor, message, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ControlResult<Rollout>> RollBackLockedAsync(Rollout rollout, string actor, string reason, string? dataJson, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await _keeper.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, rollout.StableVersion), now, cancellationToken).ConfigureAwait(false);
        await _keeper.RejectAsync(rollout.Spec.Model, rollout.CandidateVersion, $"rolled back (rollout {rollout.Id}): {reason}", now, cancellationToken).ConfigureAwait(false);
        return await EndAsync(rollout, RolloutPhase.RolledBack, "rollback", actor, $"rolled back to version {rollout.StableVersion}: {reason}", dataJson, cancellationToken).ConfigureAwait(false);
    }

    // Ends a rollout: stores the final state, forgets it, and unloads what no table needs any more.
    private async Task<ControlResult<Rollout>> EndAsync(Rollout rollout, RolloutPhase phase, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        if (phase == RolloutPhase.Aborted)
        {
            await _keeper.RejectAsync(rollout.Spec.Model, rollout.CandidateVersion, $"aborted (rollout {rollout.Id}): {message}", _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        _shadows.Stop(rollout.Endpoint);
        var ended = rollout with { Phase = phase, Reason = phase == RolloutPhase.Succeeded ? null : message, UpdatedAt = _time.GetUtcNow() };
        Recorder.StopWindow(rollout.Endpoint);
        if (ExperimentJudge.IsExperiment(rollout.Spec))
        {
            await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            Experiments.Stop(rollout.Endpoint);
        }

        var saved = await SaveAsync(ended, kind, actor, message, dataJson, cancellationToken).ConfigureAwait(false);
        await _keeper.ApplyPinsAsync(rollout.Spec.Model, _active.Values, cancellationToken).ConfigureAwait(false);
        return saved;
    }

    private async Task<ControlResult<Rollout>> SaveAsync(Rollout rollout, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        await _store.UpdateRolloutAsync(rollout, cancellationToken).ConfigureAwait(false);
        _active = rollout.IsActive ? _active.SetItem(rollout.Endpoint, rollout) : _active.Remove(rollout.Endpoint);
        await Audit(rollout, kind, actor, message, dataJson, cancellationToken).ConfigureAwait(false);
        return ControlResult<Rollout>.Success(rollout);
    }

    private async Task Audit(Rollout rollout, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        await _store.AppendEventAsync(new RolloutEvent(0, rollout.Endpoint, rollout.Id, _time.GetUtcNow(), kind, actor, message, dataJson), cancellationToken).ConfigureAwait(false);
        Log.Transition(_logger, rollout.Endpoint, kind, message);
    }

    // Starts the analysis window of a step. At 100% the stable version serves nothing, so the
    // candidate is judged against the last outcomes stable served (kept across windows).
    private void StartWindow(Rollout rollout, DateTimeOffset now)
        => Recorder.StartWindow(
            rollout.Endpoint,
            now,
            rollout.CandidateWeight >= 100 ? Recorder.Recent(rollout.Endpoint, RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion)) : null);

    // A shadow becomes a canary: mirroring stops (its last report goes into the audit trail) and the
    // spec's canary schedule starts from its first step, judged by the spec's analysis.
    private async Task<ControlResult<Rollout>> StartCanaryAsync(Rollout rollout, string actor, string reason, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var report = _shadows.ReportJson(rollout);
        _shadows.Stop(rollout.Endpoint);
        var canary = rollout with { Spec = rollout.Spec with { Strategy = RolloutStrategy.Canary }, Phase = RolloutPhase.Progressing, Step = 0, StepStartedAt = now, UpdatedAt = now, Reason = null };
        await _keeper.PublishAsync(CanaryTable(canary), now, cancellationToken).ConfigureAwait(false);
        StartWindow(canary, now);
        await Audit(canary, "promote", actor, $"shadow promoted to canary: {reason}", report, cancellationToken).ConfigureAwait(false);
        return await SaveAsync(canary, "step", "controller", $"step 1 of {canary.Spec.Canary.Steps.Count}: canary weight {canary.CandidateWeight}% for {Durations.Format(canary.Spec.Canary.Interval)}", null, cancellationToken).ConfigureAwait(false);
    }

    private static RouteTable CanaryTable(Rollout rollout)
    {
        var weight = rollout.CandidateWeight;
        var model = rollout.Spec.Model;
        return weight >= 100
            ? RouteTable.Single(rollout.Endpoint, model, rollout.CandidateVersion)
            : new RouteTable(rollout.Endpoint, [new RouteVariant(model, rollout.CandidateVersion, weight), new RouteVariant(model, rollout.StableVersion, 100 - weight)]);
    }

    // Gives new models their default table, repairs tables whose version vanished, and starts the
    // rollouts that a model's config.yaml asks for when a new version appears.
    private async Task SyncRepositoryAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var entry in _models.Models)
        {
            if (entry.NewestReady is not { } newest)
            {
                continue;
            }

            var table = _routes.Find(entry.Name);
            var now = _time.GetUtcNow();
            if (table is null || (!_active.ContainsKey(entry.Name) && table.Variants.Any(v => v.Model == entry.Name && entry.Find(v.Version) is null)))
            {
                var why = table is null ? "new endpoint" : $"version {string.Join(", ", table.Variants.Select(v => v.Version))} is gone from the repository";
                await _keeper.PublishAsync(RouteTable.Single(entry.Name, entry.Name, newest.Version), now, cancellationToken).ConfigureAwait(false);
                await _store.AppendEventAsync(new RolloutEvent(0, entry.Name, null, now, "route", "controller", $"{why}: all traffic to version {newest.Version}", null), cancellationToken).ConfigureAwait(false);
                changed = true;
                continue;
            }

            if (_active.ContainsKey(entry.Name) || newest.Loaded?.Config.RolloutJson is not { } rolloutJson
                || table.Variants.Any(v => v.Version >= newest.Version) || _keeper.Rejected.Contains((entry.Name, newest.Version)))
            {
                continue;
            }

            var last = await _store.LatestRolloutAsync(entry.Name, cancellationToken).ConfigureAwait(false);
            if (last?.CandidateVersion == newest.Version)
            {
                continue;
            }

            var spec = DeploymentSpecParser.Parse(rolloutJson, entry.Name, newest.Version);
            if (spec.Spec is null)
            {
                if (_invalidSections.Add((entry.Name, newest.Version)))
                {
                    Log.InvalidRolloutSection(_logger, entry.Name, newest.Version, string.Join("; ", spec.Problems));
                    await _store.AppendEventAsync(new RolloutEvent(0, entry.Name, null, now, "abort", "repository", $"version {newest.Version} appeared but config.yaml's rollout section is invalid: {string.Join("; ", spec.Problems)}", null), cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            await DeployLockedAsync(spec.Spec with { Endpoint = entry.Name, Model = entry.Name, Version = newest.Version }, "repository", cancellationToken).ConfigureAwait(false);
        }

        if (changed)
        {
            _keeper.SetAllPins(_active.Values);
        }
    }

    private static string Describe(Rollout r) => $"rollout {r.Id} ({DeploymentSpecWriter.StrategyName(r.Spec.Strategy)} of {r.Spec.Model} version {r.CandidateVersion} over {r.StableVersion})";

    private static string Phase(RolloutPhase phase) => RolloutText.Phase(phase);
}
