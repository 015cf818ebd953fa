// The highlighting styles: which tag gets which colour of the theme's palette (palettes.js).

import { HighlightStyle } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { PALETTES } from './palettes.js';

function style(p) {
  return HighlightStyle.define([
    { tag: [t.keyword, t.controlKeyword, t.operatorKeyword, t.definitionKeyword, t.modifier], color: p.keyword },
    { tag: [t.operator, t.contentSeparator], color: p.keyword },
    { tag: [t.string, t.special(t.string), t.regexp, t.character], color: p.string },
    { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: p.comment, fontStyle: 'italic' },
    { tag: [t.number, t.integer, t.float, t.bool, t.atom, t.null, t.color, t.unit], color: p.number },
    { tag: [t.typeName, t.className, t.namespace, t.heading], color: p.type, fontWeight: 'bold' },
    { tag: [t.function(t.variableName), t.function(t.propertyName), t.labelName, t.macroName], color: p.type },
    { tag: [t.propertyName, t.attributeName], color: p.number },
    { tag: [t.definition(t.variableName), t.standard(t.variableName), t.special(t.variableName)], color: p.name },
    { tag: [t.tagName, t.angleBracket], color: p.tag },
    { tag: [t.meta, t.processingInstruction, t.documentMeta, t.annotation], color: p.meta },
    { tag: t.invalid, color: p.invalid },
    { tag: t.strong, fontWeight: 'bold' },
    { tag: t.emphasis, fontStyle: 'italic' },
  ]);
}

export const lightHighlight = style(PALETTES.light);
export const darkHighlight = style(PALETTES.dark);
