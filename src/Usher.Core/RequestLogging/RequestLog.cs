using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.RequestLogging;

/// <summary>
/// One model's request log. On the request path it only samples (<see cref="Offer"/>): a request
/// not taken costs a hash; a request taken has its inputs copied and is handed to a bounded channel
/// without waiting (a full channel drops it and counts the drop). A task of its own hands the
/// records to the <see cref="IRequestLogSink"/>, which writes the files. A write that fails (a full
/// disk) never reaches a request: the record, and what the sink had buffered, are dropped and counted,
/// the sink starts a new file with the next record, and logging resumes by itself once writes succeed.
/// </summary>
internal sealed partial class RequestLog : IAsyncDisposable
{
    /// <summary>Records the channel holds by default before it drops.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Channel<RequestLogRecord> _channel;
    private readonly IRequestLogSink _sink;
    private readonly RequestSampler _sampler;
    private readonly TimeProvider _time;
    private readonly UsherMetrics? _metrics;
    private readonly KeyValuePair<string, object?> _modelTag;
    private readonly ILogger _logger;
    private readonly Task _pump;
    private long _written;
    private long _dropped;
    private int _disposed;
    private bool _failing;
    private long _droppedWhileFailing;
    private long _storedWhenFailed;

    /// <summary>Creates the log and starts its task.</summary>
    public RequestLog(string model, string directory, RequestLoggingConfig config, IRequestLogSink sink, RequestSampler sampler, TimeProvider time, UsherMetrics? metrics, ILogger logger, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Model = model;
        Directory = directory;
        Config = config;
        _sink = sink;
        _sampler = sampler;
        _time = time;
        _metrics = metrics;
        _modelTag = new("model", model);
        _logger = logger;

        // Wait mode with TryWrite only: a full channel refuses at once and the writer counts the drop.
        _channel = Channel.CreateBounded<RequestLogRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The model logged.</summary>
    public string Model { get; }

    /// <summary>The folder written to.</summary>
    public string Directory { get; }

    /// <summary>The section it was opened with.</summary>
    public RequestLoggingConfig Config { get; }

    /// <summary>Records written by the sink.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records lost: the channel was full (or closed), or the sink failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Called by the router after a request was answered: when the sampler takes it, copies its
    /// inputs (the frontend may reuse their buffers once it answers) and queues it without waiting.
    /// </summary>
    public void Offer(string endpoint, string variant, string? routingKey, InferenceRequest request, InferenceResponse response)
    {
        if (!_sampler.Next())
        {
            return;
        }

        var record = new RequestLogRecord(
            _time.GetUtcNow(),
            response.ModelName,
            response.ModelVersion,
            endpoint,
            variant,
            routingKey,
            request.Id,
            response.Timings.Total.TotalMilliseconds,
            OwnedCopy(request.Inputs),
            response.Outputs);
        if (!_channel.Writer.TryWrite(record))
        {
            CountDrop();
        }
    }

    /// <summary>Hands <paramref name="record"/> to the channel as <see cref="Offer"/> does (tests, replays).</summary>
    internal bool TryWrite(RequestLogRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            return true;
        }

        CountDrop();
        return false;
    }

    /// <summary>Writes what is queued, closes the open file and stops the task. Offers after this are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _channel.Writer.TryComplete();
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _sink.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var lost = await _sink.AbandonAsync().ConfigureAwait(false);
            CountDrops(lost);
            Log.WriteFailed(_logger, Model, Directory, ex.Message);
        }
    }

    private static Tensor[] OwnedCopy(IReadOnlyList<Tensor> tensors)
    {
        var copies = new Tensor[tensors.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            var t = tensors[i];
            copies[i] = t.DataType == DataType.Bytes
                ? Tensor.FromStrings(t.Name, [.. t.Shape], [.. (t.Strings ?? []).Select(s => s.ToArray())])
                : Tensor.FromBytes(t.Name, t.DataType, [.. t.Shape], t.Data.ToArray());
        }

        return copies;
    }

    private void CountDrop() => CountDrops(1);

    private void CountDrops(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _dropped, count);
            _metrics?.RequestLogDropped.Add(count, _modelTag);
        }
    }

    private async Task PumpAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var record))
            {
                try
                {
                    await _sink.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref _written);
                    _metrics?.RequestLogWritten.Add(1, _modelTag);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await FailedAsync(ex).ConfigureAwait(false);
                    continue;
                }

                Succeeded();
            }

            try
            {
                await _sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await FailedAsync(ex).ConfigureAwait(false);
                continue;
            }

            Succeeded();
        }
    }

    // A failed write or flush: the sink gives up its open file and says how many records it lost
    // with it (the one that failed included), each counted as dropped; the next record starts a new
    // file. Logged once per run of failures, so a full disk under load does not flood the log.
    private async ValueTask FailedAsync(Exception ex)
    {
        var lost = await _sink.AbandonAsync().ConfigureAwait(false);
        CountDrops(lost);
        _droppedWhileFailing += lost;
        _storedWhenFailed = _sink.Stored;
        if (!_failing)
        {
            _failing = true;
            Log.Stopped(_logger, Model, Directory, ex.Message);
        }
    }

    // Resumed once the sink stores records again: taking a record into its buffer is not enough.
    private void Succeeded()
    {
        if (_failing && _sink.Stored > _storedWhenFailed)
        {
            _failing = false;
            Log.Resumed(_logger, Model, Directory, _droppedWhileFailing);
            _droppedWhileFailing = 0;
        }
    }
}
