// Renders build/icon.svg to build/icon.png (512×512), the one icon electron-builder needs: it
// derives the Windows .ico and the macOS .icns from it. Run after editing the SVG:
//   node build/render-icon.mjs
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const svg = fileURLToPath(new URL('./icon.svg', import.meta.url));
const png = fileURLToPath(new URL('./icon.png', import.meta.url));

const info = await sharp(svg, { density: 72 }).resize(512, 512).png({ compressionLevel: 9 }).toFile(png);
console.log(`${png}: ${info.width}x${info.height}, ${info.size} bytes`);
