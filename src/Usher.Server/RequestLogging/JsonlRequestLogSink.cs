using System.Text.Json;
using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Server.RequestLogging;

/// <summary>
/// Writes a request log as JSON lines (<see cref="RequestLogJson"/>), flushed whenever the channel
/// empties, so a crash loses at most the records not yet flushed and a torn last line (which the
/// reader skips). A file past the rotation size is closed and the next record begins a new one.
/// </summary>
internal sealed class JsonlRequestLogSink(string model, string directory, RequestLoggingConfig config, TimeProvider time) : IRequestLogSink
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private FileStream? _file;
    private Utf8JsonWriter? _json;
    private long _sequence;

    /// <inheritdoc />
    public async ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken)
    {
        if (_file is null)
        {
            Open();
        }

        RequestLogJson.Write(_json!, record);
        await _json!.FlushAsync(cancellationToken).ConfigureAwait(false);
        _json.Reset();
        await _file!.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
        if (_file.Length >= config.FileBytes)
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync();

    private void Open()
    {
        Directory.CreateDirectory(directory);
        RequestLogFiles.Prune(directory, config.MaxBytes, config.FileBytes);
        var path = Path.Combine(directory, RequestLogFiles.NewName(model, time.GetUtcNow(), _sequence++, RequestLogFormat.Jsonl));
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        _json = new Utf8JsonWriter(_file);
    }

    private async ValueTask CloseAsync()
    {
        if (_json is not null)
        {
            await _json.DisposeAsync().ConfigureAwait(false);
            _json = null;
        }

        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }
    }
}
