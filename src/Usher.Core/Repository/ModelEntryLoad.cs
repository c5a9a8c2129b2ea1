using Usher.Core.Inference;
using Usher.Core.RequestLogging;

namespace Usher.Core.Repository;

/// <summary>What <see cref="ModelEntryLoader"/> made of one model on disk: the entry to publish, and whether it replaces the current one.</summary>
/// <param name="Entry">The entry to publish.</param>
/// <param name="Replaces">
/// True when <paramref name="Entry"/> is the model's new set of versions: the versions it no longer serves
/// are retired and the request logs other than <paramref name="RequestLog"/> closed. False when the model
/// could not be read (bad config, no versions): the entry keeps the versions that were serving.
/// </param>
/// <param name="RequestLog">The model's request log, or null.</param>
/// <param name="Error">Why the load failed (every reason), or null.</param>
internal sealed record ModelEntryLoad(ModelEntry Entry, bool Replaces, RequestLog? RequestLog, InferenceError? Error);
