using Usher.Core.Models;

namespace Usher.Core.RequestLogging;

/// <summary>Opens the sink of a model's request log (the server's file formats live outside the core).</summary>
internal interface IRequestLogSinkFactory
{
    /// <summary>A sink writing <paramref name="config"/>'s format into <paramref name="directory"/> (created if needed).</summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    IRequestLogSink Create(string model, string directory, RequestLoggingConfig config);
}
