using Usher.Core.Inference;

namespace Usher.Core.Routing;

/// <summary>The outcome of one routed request: the response or error, and the variant that handled it.</summary>
/// <param name="Result">The response, or the error to map at the frontend.</param>
/// <param name="Variant">The variant that answered (<c>model:version</c>); null when no variant was chosen.</param>
internal readonly record struct RoutedInference(InferenceResult<InferenceResponse> Result, string? Variant);
