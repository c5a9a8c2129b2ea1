using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Server.RequestLogging;

/// <summary>Opens the file sink of a model's request log in the format its section names.</summary>
internal sealed class RequestLogSinkFactory(TimeProvider time) : IRequestLogSinkFactory
{
    /// <inheritdoc />
    public IRequestLogSink Create(string model, string directory, RequestLoggingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);

        // Created now, so that a folder that cannot be written fails the model's load with its reason.
        Directory.CreateDirectory(directory);
        return config.Format == RequestLogFormat.Parquet
            ? new ParquetRequestLogSink(model, directory, config, time)
            : new JsonlRequestLogSink(model, directory, config, time);
    }
}
