// webpack 5: main.js -> dist/main.js, and index.html -> dist/index.html with its <script> added.
import HtmlWebpackPlugin from 'html-webpack-plugin';
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './main.js',
  output: { path: fileURLToPath(new URL('dist', import.meta.url)), clean: true },
  plugins: [new HtmlWebpackPlugin({ template: 'index.html' })],
  performance: { hints: false }, // TF.js alone is over webpack's 244 KiB advice
};
