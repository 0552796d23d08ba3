// Counts what a WebGPU program asks of the GPU, whichever library it is: wraps the WebGPU
// methods on their prototypes in this global scope (a page or a worker) and keeps running totals
// in `self.__gpuCounts`. The browser bench loads it before either side's code — into
// TensorFlow.js's page with a script tag, into Distill Lab's training worker by prefixing the
// worker's loader (run.mjs) — and each side's speed test reads the totals around its phases.
// Nothing is changed but the counting: every wrapped method calls the original with the same
// arguments and returns what it returns.
(() => {
  if (self.__gpuCounts || typeof GPUDevice === 'undefined') return;
  const c = self.__gpuCounts = {
    dispatches: 0, submits: 0, uploads: 0, upload_bytes: 0, reads: 0, read_bytes: 0,
    pipelines: 0, buffers: 0, encoders: 0,
  };
  const wrap = (proto, name, count) => {
    const orig = proto?.[name];
    if (typeof orig !== 'function') return;
    proto[name] = function (...args) {
      count.call(this, args);
      return orig.apply(this, args);
    };
  };
  // Compute work: one per dispatch (direct or indirect), and the queue submissions carrying them.
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => { c.dispatches++; });
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => { c.dispatches++; });
  wrap(GPUQueue.prototype, 'submit', () => { c.submits++; });
  wrap(GPUDevice.prototype, 'createCommandEncoder', () => { c.encoders++; });
  // CPU → GPU: queue.writeBuffer(buffer, offset, data, dataOffset?, size?); `size` counts elements
  // of a typed array (bytes for an ArrayBuffer), after `dataOffset`.
  wrap(GPUQueue.prototype, 'writeBuffer', ([, , data, dataOffset = 0, size]) => {
    c.uploads++;
    const unit = ArrayBuffer.isView(data) ? (data.BYTES_PER_ELEMENT ?? 1) : 1;
    const whole = ArrayBuffer.isView(data) ? data.byteLength / unit : data.byteLength;
    c.upload_bytes += (size ?? whole - dataOffset) * unit;
  });
  // A buffer created already mapped is written by the CPU too (an upload without writeBuffer).
  wrap(GPUDevice.prototype, 'createBuffer', ([desc]) => {
    c.buffers++;
    if (desc?.mappedAtCreation) { c.uploads++; c.upload_bytes += desc.size; }
  });
  // GPU → CPU: a map for reading. (A map for writing is a staging upload: counted as one.)
  wrap(GPUBuffer.prototype, 'mapAsync', function ([mode, offset = 0, size]) {
    if (mode & GPUMapMode.READ) { c.reads++; c.read_bytes += size ?? this.size - offset; }
    else { c.uploads++; c.upload_bytes += size ?? this.size - offset; }
  });
  wrap(GPUDevice.prototype, 'createComputePipeline', () => { c.pipelines++; });
  wrap(GPUDevice.prototype, 'createComputePipelineAsync', () => { c.pipelines++; });
})();
