using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Models;
using Usher.Core.Telemetry;

namespace Usher.Core.RequestLogging;

/// <summary>
/// The open request logs, one per model whose <c>config.yaml</c> has a <c>logging</c> section. The
/// model manager opens a model's log when it loads the model (a reload with the same section keeps
/// the same log) and retains only the current one once the versions it replaced are retired.
/// </summary>
internal sealed class RequestLogs : IAsyncDisposable
{
    private readonly IRequestLogSinkFactory _factory;
    private readonly UsherMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<RequestLog>> _open = new(StringComparer.Ordinal);

    /// <summary>Creates the registry; the sampling seed is random unless <see cref="Seed"/> is set.</summary>
    public RequestLogs(IRequestLogSinkFactory factory, TimeProvider time, UsherMetrics? metrics = null, ILogger<RequestLogs>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(time);
        _factory = factory;
        _time = time;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The seed of the samplers of the logs opened from now on (tests fix it to predict the sample).</summary>
    public ulong Seed { get; set; } = (ulong)Random.Shared.NextInt64();

    /// <summary>Records each log's channel holds before it drops.</summary>
    public int Capacity { get; set; } = RequestLog.DefaultCapacity;

    /// <summary>The model's current log, or null.</summary>
    public RequestLog? Find(string model)
    {
        lock (_gate)
        {
            return _open.TryGetValue(model, out var logs) && logs.Count > 0 ? logs[^1] : null;
        }
    }

    /// <summary>
    /// The log of <paramref name="model"/> for <paramref name="config"/>: the open one when its folder
    /// and section are the same, otherwise a new one (the previous stays open until <see cref="RetainAsync"/>).
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    public RequestLog Open(string model, string modelDirectory, RequestLoggingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var directory = config.ResolveDirectory(modelDirectory);
        lock (_gate)
        {
            if (!_open.TryGetValue(model, out var logs))
            {
                logs = [];
                _open[model] = logs;
            }

            if (logs.Count > 0 && logs[^1] is var current && current.Config == config && current.Directory == directory)
            {
                return current;
            }

            var sink = _factory.Create(model, directory, config);
            var log = new RequestLog(model, directory, config, sink, new RequestSampler(config.Sample, Seed), _time, _metrics, _logger, Capacity);
            logs.Add(log);
            return log;
        }
    }

    /// <summary>Closes every log of <paramref name="model"/> but <paramref name="keep"/> (null: all of them), writing what they hold.</summary>
    public async Task RetainAsync(string model, RequestLog? keep)
    {
        List<RequestLog> closing;
        lock (_gate)
        {
            if (!_open.TryGetValue(model, out var logs))
            {
                return;
            }

            closing = [.. logs.Where(l => !ReferenceEquals(l, keep))];
            logs.RemoveAll(l => !ReferenceEquals(l, keep));
            if (logs.Count == 0)
            {
                _open.Remove(model);
            }
        }

        foreach (var log in closing)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<RequestLog> all;
        lock (_gate)
        {
            all = [.. _open.Values.SelectMany(l => l)];
            _open.Clear();
        }

        foreach (var log in all)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }
}
