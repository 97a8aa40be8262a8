import { mountOverlay } from '../shared/mountOverlay.js'
import ChatBox from './ChatBox.vue'

mountOverlay(ChatBox)
