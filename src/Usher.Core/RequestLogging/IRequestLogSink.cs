namespace Usher.Core.RequestLogging;

/// <summary>
/// Where a model's request log writes its records: files of one format in one folder. Called only
/// from the log's own task, one call at a time, never on a request's path. Disposing writes what is
/// buffered and closes the open file.
/// </summary>
internal interface IRequestLogSink : IAsyncDisposable
{
    /// <summary>
    /// Writes one record (or buffers it); throws <see cref="IOException"/> when the file system
    /// refuses. The record is taken before anything can fail, so a failure loses it with the open file.
    /// </summary>
    ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken);

    /// <summary>The channel is empty: hands what is buffered to the operating system where the format allows.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Records handed to the file system so far (JSONL: written to the file; Parquet: in a row group written to it).</summary>
    long Stored { get; }

    /// <summary>
    /// A write or flush failed (a full disk, a folder gone): gives up the open file, keeping on disk
    /// only what is readable, so that the next record starts a new file. Never throws.
    /// </summary>
    /// <returns>How many records taken by <see cref="WriteAsync"/> were lost with it (the one whose write failed included).</returns>
    ValueTask<int> AbandonAsync();
}
