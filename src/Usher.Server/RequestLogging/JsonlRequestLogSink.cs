using System.Buffers;
using System.Text.Json;
using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Server.RequestLogging;

/// <summary>
/// Writes a request log as JSON lines (<see cref="RequestLogJson"/>). Lines are gathered in memory and
/// written to the file whenever the channel empties or 64 KiB gather, so a crash loses at most the
/// records not yet written and a torn last line (which the reader skips). A file past the rotation
/// size is closed and the next record begins a new one. A failed write (a full disk) abandons the
/// file: its whole lines stay readable, the records gathered are lost, and the next record begins a
/// new file.
/// </summary>
/// <param name="model">The model logged (the files' name prefix).</param>
/// <param name="directory">The folder written to.</param>
/// <param name="config">The model's <c>logging</c> section (rotation and folder sizes).</param>
/// <param name="time">The clock that names new files.</param>
/// <param name="open">Creates a new, unbuffered file at a path (tests give a full device here); by default <see cref="RequestLogFiles.CreateNew"/>.</param>
internal sealed class JsonlRequestLogSink(string model, string directory, RequestLoggingConfig config, TimeProvider time, Func<string, FileStream>? open = null) : IRequestLogSink
{
    private const int WriteBytes = 64 * 1024;
    private readonly Func<string, FileStream> _open = open ?? RequestLogFiles.CreateNew;
    private readonly ArrayBufferWriter<byte> _lines = new(WriteBytes);
    private Utf8JsonWriter? _json;
    private FileStream? _file;
    private long _fileBytes;
    private long _sequence;
    private int _gathered;

    /// <inheritdoc />
    public async ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken)
    {
        // Taken first, so that a failure below loses it with the others gathered (AbandonAsync counts it).
        _json ??= new Utf8JsonWriter(_lines);
        RequestLogJson.Write(_json, record);
        _json.Flush();
        _json.Reset();
        _lines.Write("\n"u8);
        _gathered++;

        if (_file is null)
        {
            Open();
        }

        if (_lines.WrittenCount >= WriteBytes || _fileBytes + _lines.WrittenCount >= config.FileBytes)
        {
            await WriteGatheredAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_fileBytes >= config.FileBytes)
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public long Stored { get; private set; }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken) => WriteGatheredAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> AbandonAsync()
    {
        var lost = _gathered;
        _gathered = 0;
        _lines.Clear();
        _json?.Reset();

        // Unbuffered: disposing writes nothing more, so it cannot fail again.
        _file?.Dispose();
        _file = null;
        return ValueTask.FromResult(lost);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await WriteGatheredAsync(CancellationToken.None).ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
        if (_json is not null)
        {
            await _json.DisposeAsync().ConfigureAwait(false);
            _json = null;
        }
    }

    private void Open()
    {
        Directory.CreateDirectory(directory);
        RequestLogFiles.Prune(directory, config.MaxBytes, config.FileBytes);
        var path = Path.Combine(directory, RequestLogFiles.NewName(model, time.GetUtcNow(), _sequence++, RequestLogFormat.Jsonl));
        _file = _open(path);
        _fileBytes = 0;
    }

    private async ValueTask WriteGatheredAsync(CancellationToken cancellationToken)
    {
        if (_lines.WrittenCount == 0 || _file is null)
        {
            return;
        }

        await _file.WriteAsync(_lines.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _fileBytes += _lines.WrittenCount;
        _lines.Clear();
        Stored += _gathered;
        _gathered = 0;
    }

    private async ValueTask CloseAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }
    }
}
