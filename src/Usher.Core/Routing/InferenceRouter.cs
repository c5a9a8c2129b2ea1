using System.Globalization;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// The one entry every frontend calls to run a request. A request that names a version runs on
/// that version and bypasses routing. Otherwise the endpoint's route table picks the variant from
/// the sticky hash of the routing key (an endpoint without a table serves its model's newest ready
/// version); injected faults apply; the observer records the outcome for the rollout analysis.
/// </summary>
public sealed class InferenceRouter
{
    private readonly ModelManager _models;
    private readonly EndpointRoutes _routes;
    private readonly FaultInjector _faults;
    private readonly TimeProvider _time;
    private readonly UsherMetrics? _metrics;
    private readonly string? _keyParameter;
    private IRouteObserver? _observer;
    private ShadowMirror? _mirror;

    /// <summary>Creates a router over the loaded models and the endpoints' route tables.</summary>
    public InferenceRouter(ModelManager models, EndpointRoutes routes, FaultInjector faults, TimeProvider time, UsherMetrics? metrics = null, RoutingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(time);
        _models = models;
        _routes = routes;
        _faults = faults;
        _time = time;
        _metrics = metrics;
        _keyParameter = options?.KeyParameter;
    }

    /// <summary>The observer of routed requests (the control plane attaches it once at start-up).</summary>
    public IRouteObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>Mirrors routed requests to endpoints' shadow versions after they are answered (null: no shadows).</summary>
    public ShadowMirror? Mirror
    {
        get => Volatile.Read(ref _mirror);
        set => Volatile.Write(ref _mirror, value);
    }

    /// <summary>
    /// Runs <paramref name="request"/>: on <see cref="InferenceRequest.ModelVersion"/> when it is set,
    /// otherwise on the variant the endpoint <see cref="InferenceRequest.ModelName"/> routes to.
    /// </summary>
    public async ValueTask<RoutedInference> InferAsync(InferenceRequest request, RouteHints hints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ModelVersion is not null)
        {
            return await RunAsync(request.ModelName, request.ModelVersion, request, cancellationToken).ConfigureAwait(false);
        }

        var endpoint = request.ModelName;
        var table = _routes.Find(endpoint);
        if (table is null)
        {
            if (hints.PinnedVariant is { } pinned)
            {
                var version = ParsePin(endpoint, pinned);
                return version.IsSuccess
                    ? await RunAsync(endpoint, version.Value, request, cancellationToken).ConfigureAwait(false)
                    : new RoutedInference(version.Error, null);
            }

            return await RunAsync(endpoint, null, request, cancellationToken).ConfigureAwait(false);
        }

        if (hints.RoutingKey is null && _keyParameter is not null && request.Parameters.TryGetValue(_keyParameter, out var key))
        {
            hints = hints with { RoutingKey = Convert.ToString(key, CultureInfo.InvariantCulture) };
        }

        var variant = Choose(table, hints);
        if (!variant.IsSuccess)
        {
            return new RoutedInference(variant.Error, null);
        }

        return await RunRoutedAsync(table, variant.Value, request, hints.RoutingKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The variant a key routes to on <paramref name="endpoint"/> now, or null without a table (for tests and the admin API).</summary>
    public RouteVariant? Resolve(string endpoint, string routingKey)
        => _routes.Find(endpoint)?.Pick(BucketHash.Hash(endpoint, routingKey));

    private static InferenceResult<RouteVariant> Choose(RouteTable table, RouteHints hints)
    {
        if (hints.PinnedVariant is { } pinned)
        {
            var found = table.Find(pinned) ?? (long.TryParse(pinned, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? table.Find(v) : null);
            return found is not null
                ? InferenceResult<RouteVariant>.Success(found)
                : InferenceError.Invalid($"{RouteHints.VariantHeader} '{pinned}' is not a variant of endpoint '{table.Endpoint}' (variants: {string.Join(", ", table.Variants.Select(x => x.Name))})");
        }

        var bucket = hints.RoutingKey is { Length: > 0 } key
            ? BucketHash.Hash(table.Endpoint, key)
            : Random.Shared.Next(BucketHash.Buckets) / (double)BucketHash.Buckets;
        return InferenceResult<RouteVariant>.Success(table.Pick(bucket));
    }

    private static InferenceResult<long> ParsePin(string endpoint, string pinned)
    {
        var text = pinned.StartsWith(endpoint + ":", StringComparison.Ordinal) ? pinned[(endpoint.Length + 1)..] : pinned;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? InferenceResult<long>.Success(version)
            : InferenceError.Invalid($"{RouteHints.VariantHeader} '{pinned}' does not name a version of '{endpoint}' (expected '{endpoint}:VERSION')");
    }

    private async ValueTask<RoutedInference> RunRoutedAsync(RouteTable table, RouteVariant variant, InferenceRequest request, string? routingKey, CancellationToken cancellationToken)
    {
        var endpoint = table.Endpoint;
        var started = _time.GetTimestamp();
        _metrics?.RoutedRequests.Add(1, new("endpoint", endpoint), new("variant", variant.Name));
        var fault = await _faults.ApplyAsync(endpoint, variant.Name, cancellationToken).ConfigureAwait(false);
        RoutedInference routed;
        if (fault is not null)
        {
            routed = new RoutedInference(fault, variant.Name);
        }
        else
        {
            var target = string.Equals(variant.Model, request.ModelName, StringComparison.Ordinal)
                ? request
                : new InferenceRequest { ModelName = variant.Model, Id = request.Id, Parameters = request.Parameters, Inputs = request.Inputs, Outputs = request.Outputs };
            routed = await RunAsync(variant.Model, variant.Version, target, cancellationToken).ConfigureAwait(false);
        }

        var observer = Observer;
        if (observer is not null && observer.IsObserving(endpoint))
        {
            observer.Observe(new RouteObservation(
                endpoint,
                variant,
                _time.GetUtcNow(),
                routed.Result.IsSuccess ? null : routed.Result.Error,
                _time.GetElapsedTime(started).TotalMilliseconds,
                request,
                routed.Result.IsSuccess ? routed.Result.Value : null,
                routingKey));
        }

        // After the answer is known, so the shadow never delays it; only answered requests are compared.
        if (routed.Result.IsSuccess)
        {
            Mirror?.Offer(endpoint, variant.Name, routingKey, request, routed.Result.Value, _time.GetElapsedTime(started).TotalMilliseconds);
        }

        return routed;
    }

    private async ValueTask<RoutedInference> RunAsync(string model, long? version, InferenceRequest request, CancellationToken cancellationToken)
    {
        var lease = _models.Acquire(model, version);
        if (!lease.IsSuccess)
        {
            return new RoutedInference(lease.Error, null);
        }

        var loaded = lease.Value;
        try
        {
            var result = await loaded.InferAsync(request, cancellationToken).ConfigureAwait(false);
            return new RoutedInference(result, RouteVariant.Format(loaded.ModelName, loaded.Version));
        }
        finally
        {
            loaded.Release();
        }
    }
}
