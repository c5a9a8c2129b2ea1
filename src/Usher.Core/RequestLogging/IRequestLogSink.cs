namespace Usher.Core.RequestLogging;

/// <summary>
/// Where a model's request log writes its records: files of one format in one folder. Called only
/// from the log's own task, one call at a time, never on a request's path. Disposing writes what is
/// buffered and closes the open file.
/// </summary>
internal interface IRequestLogSink : IAsyncDisposable
{
    /// <summary>Writes one record (or buffers it); throws <see cref="IOException"/> when the file system refuses.</summary>
    ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken);

    /// <summary>The channel is empty: hands what is buffered to the operating system where the format allows.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
