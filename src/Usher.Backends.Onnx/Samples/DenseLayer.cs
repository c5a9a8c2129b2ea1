namespace Usher.Backends.Onnx.Samples;

/// <summary>
/// One fully connected layer of a sample MLP: <c>y = x · W + b</c>, with <see cref="Weights"/> row-major
/// [<see cref="InputSize"/>, <see cref="OutputSize"/>] and <see cref="Bias"/> of <see cref="OutputSize"/>.
/// </summary>
/// <param name="InputSize">The number of inputs.</param>
/// <param name="OutputSize">The number of outputs.</param>
/// <param name="Weights">The weight matrix, row-major [in, out]. Not to be modified.</param>
/// <param name="Bias">The bias vector. Not to be modified.</param>
/// <param name="Relu">Whether a ReLU follows the layer.</param>
internal sealed record DenseLayer(int InputSize, int OutputSize, float[] Weights, float[] Bias, bool Relu);
