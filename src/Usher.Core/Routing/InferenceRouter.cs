using System.Globalization;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Routing;

/// <summary>
/// The one entry every frontend calls to run a request. A request that names a version runs on
/// that version and bypasses routing. Otherwise the endpoint's route table picks the variant from
/// the sticky hash of the routing key (an endpoint without a table serves its model's newest ready
/// version), among the variants whose inputs the request carries when they declare different ones
/// (<see cref="InputFit"/>); injected faults apply. When a rollout, an experiment or a shadow watches the endpoint,
/// the outcome leaves through <see cref="Observations"/>, a bounded channel read on its own task.
/// </summary>
internal sealed class InferenceRouter
{
    private readonly ModelManager _models;
    private readonly EndpointRoutes _routes;
    private readonly FaultInjector _faults;
    private readonly TimeProvider _time;
    private readonly string? _keyParameter;
    private readonly RouteObservations _observations;

    // The versions measure on the router's clock (always, in the server): the frontend (or the router,
    // for a caller that gives no start) starts the one measurement of a request and the version ends it.
    private readonly bool _sharedClock;
    private ShadowMirror? _mirror;

    /// <summary>
    /// Creates a router over the loaded models and the endpoints' route tables; with
    /// <paramref name="mirror"/>, routed requests are copied to the endpoints' shadow versions.
    /// </summary>
    public InferenceRouter(ModelManager models, EndpointRoutes routes, FaultInjector faults, TimeProvider time, UsherMetrics? metrics = null, RoutingOptions? options = null, ShadowMirror? mirror = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(time);
        _models = models;
        _routes = routes;
        _faults = faults;
        _time = time;
        _keyParameter = options?.KeyParameter;
        _sharedClock = ReferenceEquals(models.Clock, time);
        _observations = new RouteObservations(options?.ObservationQueue ?? RouteObservations.DefaultCapacity, metrics);
        if (mirror is not null)
        {
            Mirror = mirror;
        }
    }

    /// <summary>
    /// The clock the router and the versions measure on: a frontend takes the timestamp it passes to
    /// <see cref="InferAsync(InferenceRequest, RouteHints, long, CancellationToken)"/> from it.
    /// </summary>
    public TimeProvider Clock => _time;

    /// <summary>The bounded channel that carries routed requests to the observers, off the request path.</summary>
    public RouteObservations Observations => _observations;

    /// <summary>The observer of routed requests (the control plane attaches it once at start-up).</summary>
    public IRouteObserver? Observer
    {
        get => _observations.Observer;
        set => _observations.Observer = value;
    }

    /// <summary>Mirrors routed requests to endpoints' shadow versions after they are answered (null: no shadows).</summary>
    public ShadowMirror? Mirror
    {
        get => Volatile.Read(ref _mirror);
        set
        {
            Volatile.Write(ref _mirror, value);
            _observations.Mirror = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="request"/>: on <see cref="InferenceRequest.ModelVersion"/> when it is set,
    /// otherwise on the variant the endpoint <see cref="InferenceRequest.ModelName"/> routes to.
    /// </summary>
    public ValueTask<RoutedInference> InferAsync(InferenceRequest request, RouteHints hints, CancellationToken cancellationToken)
        => InferAsync(request, hints, _time.GetTimestamp(), cancellationToken);

    /// <summary>
    /// <see cref="InferAsync(InferenceRequest, RouteHints, CancellationToken)"/> for a request whose
    /// measurement started at <paramref name="started"/>, a timestamp of <see cref="Clock"/> that the
    /// frontend took when the request arrived: the version ends that measurement
    /// (<see cref="InferenceTimings.Total"/>), and the one figure feeds <c>Server-Timing</c>'s
    /// <c>total</c>, the request duration in <c>/metrics</c> and the rollout analysis.
    /// </summary>
    public ValueTask<RoutedInference> InferAsync(InferenceRequest request, RouteHints hints, long started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return UsherActivities.Tracing
            ? InferenceTrace.RunAsync(this, request, hints, started, cancellationToken)
            : RouteAsync(request, hints, started, cancellationToken);
    }

    /// <summary>Routes and runs <paramref name="request"/> (<see cref="InferAsync(InferenceRequest, RouteHints, long, CancellationToken)"/> without its span).</summary>
    /// <remarks>
    /// Not an async method: it only picks the step to run and returns that step's task, so a request
    /// that queues (an instance busy) suspends in one state machine fewer, one box and one resumption
    /// less per answer.
    /// </remarks>
    internal ValueTask<RoutedInference> RouteAsync(InferenceRequest request, RouteHints hints, long started, CancellationToken cancellationToken)
    {
        if (request.ModelVersion is not null)
        {
            return RunAsync(request.ModelName, null, request.ModelVersion, request, hints.RoutingKey, started, cancellationToken);
        }

        var endpoint = request.ModelName;
        var table = _routes.Find(endpoint);
        if (table is null)
        {
            if (hints.PinnedVariant is { } pinned)
            {
                var version = ParsePin(endpoint, pinned);
                return version.IsSuccess
                    ? RunAsync(endpoint, null, version.Value, request, hints.RoutingKey, started, cancellationToken)
                    : ValueTask.FromResult(new RoutedInference(version.Error, null));
            }

            return RunAsync(endpoint, null, null, request, hints.RoutingKey, started, cancellationToken);
        }

        if (hints.RoutingKey is null && _keyParameter is not null && request.Parameters.TryGetValue(_keyParameter, out var key))
        {
            hints = hints with { RoutingKey = Convert.ToString(key, CultureInfo.InvariantCulture) };
        }

        var chosen = Choose(table, hints, out var bucket);
        if (!chosen.IsSuccess)
        {
            return ValueTask.FromResult(new RoutedInference(chosen.Error, null));
        }

        var index = chosen.Value;
        if (table.Inputs is { } inputs && hints.PinnedVariant is null)
        {
            // The variants declare different inputs: one that the request carries all of serves it.
            var fitted = inputs.Route(index, bucket, request);
            if (!fitted.IsSuccess)
            {
                return ValueTask.FromResult(new RoutedInference(fitted.Error, null));
            }

            (index, request) = fitted.Value;
        }

        table.RoutedTotal(index)?.Add();
        var variant = table.Variants[index];
        return RunAsync(table.Endpoint, variant, variant.Version, request, hints.RoutingKey, started, cancellationToken);
    }

    /// <summary>The variant a key routes to on <paramref name="endpoint"/> now, or null without a table (for tests and the admin API).</summary>
    public RouteVariant? Resolve(string endpoint, string routingKey)
        => _routes.Find(endpoint)?.Pick(BucketHash.Hash(endpoint, routingKey));

    /// <summary>The index in the table's variants of the one the sticky hash (or the pin) sends the request to, and the bucket it hashed to (-1 when pinned).</summary>
    private static InferenceResult<int> Choose(RouteTable table, RouteHints hints, out double bucket)
    {
        bucket = -1;
        if (hints.PinnedVariant is { } pinned)
        {
            var found = table.IndexOf(pinned) is >= 0 and var named ? named : long.TryParse(pinned, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? table.IndexOf(v) : -1;
            return found >= 0
                ? InferenceResult<int>.Success(found)
                : InferenceError.Invalid($"{RouteHints.VariantHeader} '{pinned}' is not a variant of endpoint '{table.Endpoint}' (variants: {string.Join(", ", table.Variants.Select(x => x.Name))})");
        }

        bucket = hints.RoutingKey is { Length: > 0 } key
            ? BucketHash.Hash(table.Endpoint, key)
            : Random.Shared.Next(BucketHash.Buckets) / (double)BucketHash.Buckets;
        return InferenceResult<int>.Success(table.PickIndex(bucket));
    }

    private static InferenceResult<long> ParsePin(string endpoint, string pinned)
    {
        var text = pinned.StartsWith(endpoint + ":", StringComparison.Ordinal) ? pinned[(endpoint.Length + 1)..] : pinned;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? InferenceResult<long>.Success(version)
            : InferenceError.Invalid($"{RouteHints.VariantHeader} '{pinned}' does not name a version of '{endpoint}' (expected '{endpoint}:VERSION')");
    }

    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="version"/> of the variant's model, or of the
    /// endpoint's model without a variant: the version's lease, the run, the release. With
    /// <paramref name="variant"/> (a routed request), first the injected faults,
    /// and afterwards the observers. One async method for both, so that a request that queues
    /// suspends in one state machine, routed or not (the model is not a parameter: each parameter is
    /// a field of the boxed state). <paramref name="started"/> is the request's start on the router's clock.
    /// </summary>
    private async ValueTask<RoutedInference> RunAsync(string endpoint, RouteVariant? variant, long? version, InferenceRequest request, string? routingKey, long started, CancellationToken cancellationToken)
    {
        RoutedInference routed;
        if (variant is not null)
        {
            var fault = await _faults.ApplyAsync(endpoint, variant.Name, cancellationToken).ConfigureAwait(false);
            if (fault is not null)
            {
                routed = new RoutedInference(fault, variant.Name);
                Observed(endpoint, variant, request, routingKey, routed.Result, started);
                return routed;
            }
        }

        var model = variant?.Model ?? endpoint;
        var target = string.Equals(model, request.ModelName, StringComparison.Ordinal)
            ? request
            : new InferenceRequest { ModelName = model, Id = request.Id, Parameters = request.Parameters, Inputs = request.Inputs, Outputs = request.Outputs };
        var versionStarted = _sharedClock ? started : _models.Clock.GetTimestamp();
        var lease = await _models.AcquireAsync(model, version, cancellationToken).ConfigureAwait(false);
        if (!lease.IsSuccess)
        {
            routed = new RoutedInference(lease.Error, null);
        }
        else
        {
            var loaded = lease.Value;
            try
            {
                var result = await loaded.InferAsync(target, versionStarted, cancellationToken).ConfigureAwait(false);
                routed = Answered(endpoint, loaded, target, routingKey, result);
            }
            finally
            {
                loaded.Release();
            }
        }

        if (variant is not null)
        {
            Observed(endpoint, variant, request, routingKey, routed.Result, started);
        }

        return routed;
    }

    // After the answer is known, so that observing never delays it. Nothing is allocated unless
    // an observer asked for this endpoint (a rollout, an experiment, a shadow).
    private void Observed(string endpoint, RouteVariant variant, InferenceRequest request, string? routingKey, InferenceResult<InferenceResponse> result, long started)
    {
        var needs = _observations.Needs(endpoint, routingKey);
        if (needs != ObservationNeeds.None)
        {
            Observe(endpoint, variant, request, routingKey, result, started, needs);
        }
    }

    private void Observe(string endpoint, RouteVariant variant, InferenceRequest request, string? routingKey, InferenceResult<InferenceResponse> result, long started, ObservationNeeds needs)
    {
        InferenceResponse? response = null;
        InferenceError? error = null;
        double latencyMs;
        if (result.IsSuccess)
        {
            response = result.Value;

            // The version's measurement from the router's start: the same figure /metrics records.
            latencyMs = _sharedClock ? response.Timings.Total.TotalMilliseconds : _time.GetElapsedTime(started).TotalMilliseconds;
        }
        else
        {
            error = result.Error;
            latencyMs = _time.GetElapsedTime(started).TotalMilliseconds;

            // Only answered requests are mirrored to a shadow.
            needs &= ~ObservationNeeds.Shadow;
        }

        // The frontend may lend the request's buffers only until it answers: a kept request owns its bytes.
        var copy = (needs & (ObservationNeeds.Request | ObservationNeeds.Shadow)) != 0 ? OwnedCopy(request) : null;
        var trace = UsherActivities.Ambient?.Context ?? default;

        // A shadow's copy goes straight to the shadow's own queue (lock-free; wakes its thread only
        // if it sleeps), not through the observers' channel and its task.
        if ((needs & ObservationNeeds.Shadow) != 0 && Mirror is { } mirror && mirror.TryHandOver(endpoint, variant.Name, copy!, response!, latencyMs, trace))
        {
            needs &= ~ObservationNeeds.Shadow;
            if (needs == ObservationNeeds.None)
            {
                return;
            }
        }

        _observations.Write(new RouteObservation(endpoint, variant, _time.GetUtcNow(), error, latencyMs, request.Id, routingKey, response, copy, needs)
        {
            Trace = trace,
        });
    }

    /// <summary>A copy of <paramref name="request"/> that owns its tensors' bytes.</summary>
    internal static InferenceRequest OwnedCopy(InferenceRequest request)
    {
        var inputs = new Tensor[request.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var t = request.Inputs[i];
            inputs[i] = t.DataType == DataType.Bytes
                ? Tensor.FromStrings(t.Name, [.. t.Shape], [.. (t.Strings ?? []).Select(s => s.ToArray())])
                : Tensor.FromBytes(t.Name, t.DataType, [.. t.Shape], t.Data.ToArray());
        }

        return new InferenceRequest
        {
            ModelName = request.ModelName,
            ModelVersion = request.ModelVersion,
            Id = request.Id,
            Parameters = request.Parameters,
            Outputs = request.Outputs,
            Inputs = inputs,
        };
    }

    // The version's answer as the router's: offered to the version's request log, if it has one.
    private static RoutedInference Answered(string endpoint, ModelVersion loaded, InferenceRequest request, string? routingKey, InferenceResult<InferenceResponse> result)
    {
        // One branch when the model has no request log; otherwise it samples, and copies only what it takes.
        // A muted version is warming up (the server's own requests before it is ready): nothing to log.
        if (loaded.RequestLog is { } log && result.IsSuccess && !loaded.Muted)
        {
            log.Offer(endpoint, loaded.VariantName, routingKey, request, result.Value);
        }

        return new RoutedInference(result, loaded.VariantName);
    }
}
